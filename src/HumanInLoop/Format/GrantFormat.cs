using System.Text.Json;

namespace HumanInLoop.Internal;

/// <summary>The only code that turns a standing grant into a <see cref="GrantEntry"/> and back.</summary>
internal static class GrantFormat
{
    public static GrantEntry ToEntry(ApprovalGrant grant) => new(
        grant.Id, grant.ToolName, grant.TenantId, grant.CreatedAt, grant.ExpiresAt, grant.RevokedAt is not null, grant.Version,
        JsonSerializer.Serialize(grant, HumanInLoopJson.StateOptions));

    public static ApprovalGrant Read(GrantEntry entry)
    {
        ApprovalGrant grant;
        try
        {
            grant = JsonSerializer.Deserialize<ApprovalGrant>(entry.Data, HumanInLoopJson.StateOptions)
                ?? throw new JsonException("The grant is null.");
        }
        catch (JsonException exception)
        {
            throw new ApprovalStateFormatException($"The stored grant '{entry.Id}' cannot be read: {exception.Message}", null, exception);
        }

        // The columns the store filters on must say what the grant says: a row edited behind the library's back grants nothing.
        if (grant.Id != entry.Id || grant.ToolName != entry.ToolName || grant.TenantId != entry.TenantId || grant.ExpiresAt != entry.ExpiresAt ||
            (grant.RevokedAt is not null) != entry.Revoked)
        {
            throw new ApprovalStateFormatException($"The stored grant '{entry.Id}' does not match its columns; it was changed outside HumanInLoop.", null);
        }

        grant.Version = entry.Version;
        return grant;
    }
}
