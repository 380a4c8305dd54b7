using System.Text.Json.Serialization;

namespace Meridian.Core.Marketplace;

/// <summary>Where a deployment's inference runs (DESIGN.md, "The two hosting options").</summary>
public enum HostingOption
{
    /// <summary>On the operator's own backends, confined by the deployment type.</summary>
    [JsonStringEnumMemberName("platform")]
    Platform,

    /// <summary>On the publisher's infrastructure; data may leave the resource's geography.</summary>
    [JsonStringEnumMemberName("publisher")]
    Publisher,
}

/// <summary>How far platform-hosted processing may travel from the resource's region.</summary>
/// <remarks>The attributes give records that are serialised (audit) the wire names of <see cref="WireNames"/>.</remarks>
public enum DeploymentType
{
    [JsonStringEnumMemberName("global")]
    Global,

    [JsonStringEnumMemberName("datazone")]
    DataZone,

    [JsonStringEnumMemberName("regional")]
    Regional,
}

public static class WireNames
{
    public static string Of(HostingOption hosting) => hosting == HostingOption.Platform ? "platform" : "publisher";

    public static string Of(DeploymentType type) => type switch
    {
        DeploymentType.Global => "global",
        DeploymentType.DataZone => "datazone",
        _ => "regional",
    };

    public static bool TryParseHosting(string? value, out HostingOption hosting)
    {
        switch (value?.ToLowerInvariant())
        {
            case "platform": hosting = HostingOption.Platform; return true;
            case "publisher": hosting = HostingOption.Publisher; return true;
            default: hosting = default; return false;
        }
    }

    public static bool TryParseType(string? value, out DeploymentType type)
    {
        switch (value?.ToLowerInvariant())
        {
            case "global": type = DeploymentType.Global; return true;
            case "datazone": type = DeploymentType.DataZone; return true;
            case "regional": type = DeploymentType.Regional; return true;
            default: type = default; return false;
        }
    }
}
