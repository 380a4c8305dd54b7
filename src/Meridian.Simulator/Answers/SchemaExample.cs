using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Meridian.Simulator.Answers;

/// <summary>
/// Makes one JSON value that satisfies a tool's <c>input_schema</c>, so clients that validate tool input against the
/// schema (as agent frameworks do) accept the simulator's tool calls. It covers what tool schemas use in practice:
/// <c>type</c> (or a list of types), <c>properties</c>/<c>required</c>, <c>items</c>/<c>prefixItems</c>,
/// <c>enum</c>/<c>const</c>, numeric bounds, string lengths and common formats, and the first branch of
/// <c>anyOf</c>/<c>oneOf</c>/<c>allOf</c>. It does not resolve <c>$ref</c> or honour <c>pattern</c>.
/// </summary>
internal static class SchemaExample
{
    private const int MaxDepth = 32;
    private const int MaxArrayItems = 8;

    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false };

    public static string Generate(JsonElement? schema, string name)
    {
        if (schema is not { } s)
        {
            return "{}";
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        try
        {
            using (var json = new Utf8JsonWriter(buffer, WriterOptions))
            {
                Write(json, s, name, 0);
            }

            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            // A schema whose names or values no .NET string can hold (an escaped unpaired surrogate): give up politely.
            return "{}";
        }
    }

    private static void Write(Utf8JsonWriter json, JsonElement schema, string hint, int depth)
    {
        if (schema.ValueKind != JsonValueKind.Object || depth > MaxDepth)
        {
            // `true`, `{}`-like or pathological schemas accept anything; a string is the friendliest "anything".
            json.WriteStringValue(SampleString(hint));
            return;
        }

        if (schema.TryGetProperty("const", out var constant))
        {
            constant.WriteTo(json);
            return;
        }

        if (schema.TryGetProperty("enum", out var values) && values.ValueKind == JsonValueKind.Array && values.GetArrayLength() > 0)
        {
            values[0].WriteTo(json);
            return;
        }

        foreach (var combinator in (ReadOnlySpan<string>)["anyOf", "oneOf", "allOf"])
        {
            if (schema.TryGetProperty(combinator, out var branches) && branches.ValueKind == JsonValueKind.Array
                && FirstUsableBranch(branches) is { } branch)
            {
                Write(json, branch, hint, depth + 1);
                return;
            }
        }

        switch (TypeOf(schema))
        {
            case "object":
                WriteObject(json, schema, depth);
                break;
            case "array":
                WriteArray(json, schema, hint, depth);
                break;
            case "integer":
                json.WriteNumberValue(SampleInteger(schema));
                break;
            case "number":
                json.WriteNumberValue(SampleNumber(schema));
                break;
            case "boolean":
                json.WriteBooleanValue(true);
                break;
            case "null":
                json.WriteNullValue();
                break;
            default:
                json.WriteStringValue(SampleString(schema, hint));
                break;
        }
    }

    private static JsonElement? FirstUsableBranch(JsonElement branches)
    {
        JsonElement? fallback = null;
        foreach (var branch in branches.EnumerateArray())
        {
            // Prefer a branch that yields a value over {"type":"null"}, as a caller would.
            if (branch.ValueKind == JsonValueKind.Object && branch.TryGetProperty("type", out var type) && type.ValueEquals("null"))
            {
                fallback ??= branch;
                continue;
            }

            return branch;
        }

        return fallback;
    }

    private static string TypeOf(JsonElement schema)
    {
        if (schema.TryGetProperty("type", out var type))
        {
            if (type.ValueKind == JsonValueKind.String)
            {
                return type.GetString()!;
            }

            if (type.ValueKind == JsonValueKind.Array)
            {
                string? onlyNull = null;
                foreach (var item in type.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String)
                    {
                        continue;
                    }

                    if (item.ValueEquals("null"))
                    {
                        onlyNull = "null";
                        continue;
                    }

                    return item.GetString()!;
                }

                if (onlyNull is not null)
                {
                    return onlyNull;
                }
            }
        }

        if (schema.TryGetProperty("properties", out _) || schema.TryGetProperty("required", out _))
        {
            return "object";
        }

        return schema.TryGetProperty("items", out _) || schema.TryGetProperty("prefixItems", out _) ? "array" : "string";
    }

    private static void WriteObject(Utf8JsonWriter json, JsonElement schema, int depth)
    {
        json.WriteStartObject();
        var written = new HashSet<string>(StringComparer.Ordinal);
        if (schema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in properties.EnumerateObject())
            {
                if (written.Add(property.Name))
                {
                    json.WritePropertyName(property.Name);
                    Write(json, property.Value, property.Name, depth + 1);
                }
            }
        }

        // A required name with no schema of its own: any value will do.
        if (schema.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in required.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String && written.Add(item.GetString()!))
                {
                    json.WriteString(item.GetString()!, SampleString(item.GetString()!));
                }
            }
        }

        json.WriteEndObject();
    }

    private static void WriteArray(Utf8JsonWriter json, JsonElement schema, string hint, int depth)
    {
        var count = Math.Max(1, ReadInt(schema, "minItems") ?? 1);
        if (ReadInt(schema, "maxItems") is { } maxItems)
        {
            count = Math.Min(count, maxItems);
        }

        count = Math.Clamp(count, 0, MaxArrayItems);
        var hasPrefix = schema.TryGetProperty("prefixItems", out var prefix) && prefix.ValueKind == JsonValueKind.Array;
        var hasItems = schema.TryGetProperty("items", out var items);
        if (hasPrefix)
        {
            count = Math.Max(count, Math.Min(prefix.GetArrayLength(), MaxArrayItems));
        }

        json.WriteStartArray();
        for (var i = 0; i < count; i++)
        {
            if (hasPrefix && i < prefix.GetArrayLength())
            {
                Write(json, prefix[i], hint, depth + 1);
            }
            else if (hasItems && items.ValueKind == JsonValueKind.Object)
            {
                Write(json, items, hint, depth + 1);
            }
            else
            {
                json.WriteStringValue(SampleString(hint));
            }
        }

        json.WriteEndArray();
    }

    private static long SampleInteger(JsonElement schema)
    {
        long value = 1;
        if (ReadNumber(schema, "minimum") is { } minimum)
        {
            value = (long)Math.Ceiling(minimum);
        }
        else if (ReadNumber(schema, "exclusiveMinimum") is { } exclusiveMinimum)
        {
            value = (long)Math.Floor(exclusiveMinimum) + 1;
        }

        if (ReadNumber(schema, "maximum") is { } maximum && value > maximum)
        {
            value = (long)Math.Floor(maximum);
        }
        else if (ReadNumber(schema, "exclusiveMaximum") is { } exclusiveMaximum && value >= exclusiveMaximum)
        {
            value = (long)Math.Ceiling(exclusiveMaximum) - 1;
        }

        return value;
    }

    private static double SampleNumber(JsonElement schema)
    {
        double value = 1;
        var low = ReadNumber(schema, "minimum");
        var exclusiveLow = ReadNumber(schema, "exclusiveMinimum");
        var high = ReadNumber(schema, "maximum");
        var exclusiveHigh = ReadNumber(schema, "exclusiveMaximum");
        if (low is { } minimum)
        {
            value = minimum;
        }
        else if (exclusiveLow is { } exclusiveMinimum)
        {
            value = exclusiveMinimum + 1;
        }

        var upper = high ?? exclusiveHigh;
        if (upper is { } limit && (value > limit || (high is null && value >= limit)))
        {
            // Midway between the bounds when both exist, else just under the upper one.
            var lower = low ?? exclusiveLow ?? limit - 2;
            value = (lower + limit) / 2;
        }

        return value;
    }

    private static string SampleString(JsonElement schema, string hint)
    {
        var value = schema.TryGetProperty("format", out var format) && format.ValueKind == JsonValueKind.String
            ? format.GetString() switch
            {
                "date-time" => "2026-01-01T00:00:00Z",
                "date" => "2026-01-01",
                "time" => "12:00:00Z",
                "email" => "simulator@example.com",
                "uri" or "url" or "iri" => "https://example.com/",
                "uuid" => "00000000-0000-4000-8000-000000000000",
                "ipv4" => "192.0.2.1",
                "ipv6" => "2001:db8::1",
                "hostname" => "example.com",
                _ => SampleString(hint),
            }
            : SampleString(hint);

        if (ReadInt(schema, "minLength") is { } minLength && value.Length < minLength)
        {
            value = value.PadRight(Math.Min(minLength, 4096), 'x');
        }

        if (ReadInt(schema, "maxLength") is { } maxLength && value.Length > maxLength)
        {
            value = value[..Math.Max(0, maxLength)];
        }

        return value;
    }

    private static string SampleString(string hint) => "sample " + hint;

    private static double? ReadNumber(JsonElement schema, string name) =>
        schema.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number)
            ? number
            : DescribedBound(schema, name);

    /// <summary>
    /// A bound a client moved into the description because Anthropic's structured outputs take no such keyword: the
    /// Vercel AI SDK writes <c>"minimum: 2; maximum: 9007199254740991."</c> and validates the answer against the bound.
    /// </summary>
    private static double? DescribedBound(JsonElement schema, string name)
    {
        if (!schema.TryGetProperty("description", out var description) || description.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var text = description.GetString()!;
        var key = name + ": ";
        var at = text.IndexOf(key, StringComparison.Ordinal);
        if (at < 0 || (at > 0 && char.IsAsciiLetter(text[at - 1])))
        {
            return null;
        }

        var start = at + key.Length;
        var end = start;
        while (end < text.Length && (char.IsAsciiDigit(text[end]) || text[end] is '-' or '.' or 'e' or 'E' or '+'))
        {
            end++;
        }

        var number = text.AsSpan(start, end - start).TrimEnd('.');
        return double.TryParse(number, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var bound) ? bound : null;
    }

    private static int? ReadInt(JsonElement schema, string name) =>
        ReadNumber(schema, name) is { } number ? (int)Math.Clamp(number, 0, int.MaxValue) : null;
}
