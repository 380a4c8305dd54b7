using System.Text.Json;

namespace Meridian.Simulator.Tests;

/// <summary>A small JSON Schema checker for what tool schemas use: type, properties, required, enum, items, bounds.</summary>
internal static class SchemaAssert
{
    public static void Satisfies(JsonElement value, JsonElement schema, string path = "$")
    {
        if (schema.TryGetProperty("enum", out var values))
        {
            Assert.True(values.EnumerateArray().Any(v => JsonElement.DeepEquals(v, value)), $"{path}: {value} is not in the enum");
        }

        if (schema.TryGetProperty("anyOf", out var anyOf))
        {
            Assert.True(anyOf.EnumerateArray().Any(s => Passes(value, s)), $"{path}: {value} matches no anyOf branch");
        }

        if (!schema.TryGetProperty("type", out var type))
        {
            return;
        }

        var types = type.ValueKind == JsonValueKind.Array
            ? type.EnumerateArray().Select(t => t.GetString()!).ToList()
            : [type.GetString()!];
        Assert.True(types.Any(t => IsOfType(value, t)), $"{path}: {value.ValueKind} {value} is not of type {string.Join('|', types)}");

        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                if (schema.TryGetProperty("required", out var required))
                {
                    foreach (var name in required.EnumerateArray())
                    {
                        Assert.True(value.TryGetProperty(name.GetString()!, out _), $"{path}: required property '{name}' is missing");
                    }
                }

                if (schema.TryGetProperty("properties", out var properties))
                {
                    foreach (var property in properties.EnumerateObject())
                    {
                        if (value.TryGetProperty(property.Name, out var child))
                        {
                            Satisfies(child, property.Value, $"{path}.{property.Name}");
                        }
                    }
                }

                break;
            case JsonValueKind.Array:
                if (schema.TryGetProperty("minItems", out var minItems))
                {
                    Assert.True(value.GetArrayLength() >= minItems.GetInt32(), $"{path}: fewer than {minItems} items");
                }

                if (schema.TryGetProperty("maxItems", out var maxItems))
                {
                    Assert.True(value.GetArrayLength() <= maxItems.GetInt32(), $"{path}: more than {maxItems} items");
                }

                if (schema.TryGetProperty("items", out var items))
                {
                    var i = 0;
                    foreach (var item in value.EnumerateArray())
                    {
                        Satisfies(item, items, $"{path}[{i++}]");
                    }
                }

                break;
            case JsonValueKind.Number:
                var number = value.GetDouble();
                if (schema.TryGetProperty("minimum", out var minimum))
                {
                    Assert.True(number >= minimum.GetDouble(), $"{path}: {number} < minimum {minimum}");
                }

                if (schema.TryGetProperty("maximum", out var maximum))
                {
                    Assert.True(number <= maximum.GetDouble(), $"{path}: {number} > maximum {maximum}");
                }

                if (schema.TryGetProperty("exclusiveMinimum", out var exclusiveMinimum))
                {
                    Assert.True(number > exclusiveMinimum.GetDouble(), $"{path}: {number} <= exclusiveMinimum {exclusiveMinimum}");
                }

                break;
            case JsonValueKind.String:
                var length = value.GetString()!.Length;
                if (schema.TryGetProperty("minLength", out var minLength))
                {
                    Assert.True(length >= minLength.GetInt32(), $"{path}: shorter than {minLength}");
                }

                if (schema.TryGetProperty("maxLength", out var maxLength))
                {
                    Assert.True(length <= maxLength.GetInt32(), $"{path}: longer than {maxLength}");
                }

                break;
            default:
                break;
        }
    }

    private static bool Passes(JsonElement value, JsonElement schema)
    {
        try
        {
            Satisfies(value, schema);
            return true;
        }
        catch (Xunit.Sdk.XunitException)
        {
            return false;
        }
    }

    private static bool IsOfType(JsonElement value, string type) => type switch
    {
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "string" => value.ValueKind == JsonValueKind.String,
        "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
        "number" => value.ValueKind == JsonValueKind.Number,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => value.ValueKind == JsonValueKind.Null,
        _ => false,
    };
}
