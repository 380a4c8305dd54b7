using Meridian.Core.Validation;

namespace Meridian.Core.World;

/// <summary>A region as the operator described it, before validation.</summary>
public sealed record RegionDraft(string? Geography, string? DataZone, string? DisplayName);

/// <summary>What makes a region valid in a world, and which edits would move data. Pure.</summary>
public static class WorldRules
{
    /// <param name="name">The region's name (from the path).</param>
    public static Region? ValidateRegion(WorldMap world, string name, RegionDraft draft, FieldErrors errors)
    {
        if (!Names.IsPlaceName(name))
        {
            errors.Add("name", Names.PlaceRule);
        }

        if (draft.Geography is null)
        {
            errors.Add("geography", "is required");
        }
        else if (!Names.IsPlaceName(draft.Geography))
        {
            errors.Add("geography", Names.PlaceRule);
        }

        if (draft.DataZone is not null)
        {
            if (!Names.IsPlaceName(draft.DataZone))
            {
                errors.Add("data_zone", Names.PlaceRule + ", or null for a region without a zone");
            }
            else if (draft.Geography is not null && ZoneOwner(world, draft.DataZone, name) is { } owner
                     && !string.Equals(owner, draft.Geography, StringComparison.OrdinalIgnoreCase))
            {
                errors.Add("data_zone", $"data zone '{draft.DataZone}' belongs to geography '{owner}'; a data zone lies in one geography");
            }
        }

        Names.RequireDisplayName(errors, "display_name", draft.DisplayName);
        return errors.IsEmpty ? new Region(name, draft.DataZone, draft.Geography!, draft.DisplayName!) : null;
    }

    /// <summary>
    /// True when replacing <paramref name="before"/> by <paramref name="after"/> would change where existing
    /// resources' data may be processed or rests: a new data zone or geography. Refused while resources use the region.
    /// </summary>
    public static bool MovesData(Region before, Region after) =>
        !string.Equals(before.Geography, after.Geography, StringComparison.OrdinalIgnoreCase)
        || !string.Equals(before.DataZone, after.DataZone, StringComparison.OrdinalIgnoreCase);

    private static string? ZoneOwner(WorldMap world, string zone, string exceptRegion) =>
        world.Regions
            .FirstOrDefault(r => !string.Equals(r.Name, exceptRegion, StringComparison.OrdinalIgnoreCase)
                                 && string.Equals(r.DataZone, zone, StringComparison.OrdinalIgnoreCase))?.Geography;
}
