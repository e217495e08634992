using HumanInLoop.Internal;

namespace HumanInLoop.PostgreSql;

/// <summary>
/// Version 6 of the PostgreSQL schema: the deadline order (<see cref="StateOrder.SoonestDeadlineFirst"/>).
/// </summary>
/// <remarks>
/// Indexes on the approvals by status (and tenant) and deadline, and the
/// deadline on each approval_approvers row, filled from its approval and kept by the trigger (now also when the deadline
/// changes), so that an inbox by deadline is one index range per name too. A server still at version 5 writes approvals as
/// before: the trigger, in the database, keeps the new column.
/// </remarks>
internal static class PostgreSqlDeadlineMigration
{
    /// <summary>The step from version 5 to 6.</summary>
    /// <param name="tables">The store's table names, in their schema.</param>
    /// <returns>What the step brings, and its statements in order.</returns>
    public static SchemaMigration Create(StoreTableNames tables)
    {
        string approvals = tables.Approvals;
        string prefix = tables.Prefix;
        string approvers = PostgreSqlEntryMapping.ApproversTable(tables);
        string sync = tables.Table("approvals_approvers_sync");
        return new(
            "deadline order: approvals (status, expires_at, id) and (tenant_id, status, expires_at, id) indexes; approval_approvers.expires_at, backfilled and kept by the trigger, with its deadline indexes",
            $"CREATE INDEX \"{prefix}approvals_status_expires\" ON {approvals} (status, expires_at, id)",
            $"CREATE INDEX \"{prefix}approvals_tenant_status_expires\" ON {approvals} (tenant_id, status, expires_at, id)",
            $"ALTER TABLE {approvers} ADD COLUMN expires_at timestamptz NULL",
            $"UPDATE {approvers} x SET expires_at = a.expires_at FROM {approvals} a WHERE a.id = x.approval_id",
            $"DELETE FROM {approvers} WHERE expires_at IS NULL",
            $"ALTER TABLE {approvers} ALTER COLUMN expires_at SET NOT NULL",
            $"CREATE INDEX \"{prefix}approval_approvers_expires\" ON {approvers} (approver, expires_at, approval_id)",
            $"CREATE INDEX \"{prefix}approval_approvers_tenant_expires\" ON {approvers} (approver, tenant_id, expires_at, approval_id)",
            $"""
            CREATE OR REPLACE FUNCTION {sync}() RETURNS trigger LANGUAGE plpgsql AS $sync$
            BEGIN
                IF TG_OP <> 'INSERT' THEN
                    DELETE FROM {approvers} WHERE approval_id = OLD.id;
                END IF;
                IF TG_OP <> 'DELETE' AND NEW.status = 0 AND NEW.approvers IS NOT NULL THEN
                    INSERT INTO {approvers} (approver, tenant_id, created_at, expires_at, approval_id)
                    SELECT DISTINCT n, NEW.tenant_id, NEW.created_at, NEW.expires_at, NEW.id FROM unnest(NEW.approvers) AS n;
                END IF;
                RETURN NULL;
            END
            $sync$
            """,
            $"DROP TRIGGER \"{prefix}approvals_approvers_update\" ON {approvals}",
            $"""
            CREATE TRIGGER "{prefix}approvals_approvers_update" AFTER UPDATE ON {approvals} FOR EACH ROW
            WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.approvers IS DISTINCT FROM NEW.approvers OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id
                OR OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.expires_at IS DISTINCT FROM NEW.expires_at OR OLD.id IS DISTINCT FROM NEW.id)
            EXECUTE FUNCTION {sync}()
            """);
    }
}
