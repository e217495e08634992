using HumanInLoop.Internal;
using Npgsql;

namespace HumanInLoop.PostgreSql;

/// <summary>Checks a <see cref="PostgreSqlStateStoreOptions"/> once, when the store is created or registered, with messages that say what to fix.</summary>
internal static class PostgreSqlOptionsValidation
{
    /// <summary>Checks the options; returns the parsed connection string when one is used.</summary>
    public static NpgsqlConnectionStringBuilder? Validate(PostgreSqlStateStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!StoreIdentifiers.IsPlain(options.Schema, allowEmpty: false, maxLength: 63))
        {
            throw new ArgumentException(
                $"PostgreSqlStateStoreOptions.Schema '{options.Schema}' is not valid: use letters, digits and underscores, starting with a letter or underscore, at most 63 characters (default 'public').",
                nameof(options));
        }

        if (!StoreIdentifiers.IsPlain(options.TablePrefix, allowEmpty: true, maxLength: 32))
        {
            throw new ArgumentException(
                $"PostgreSqlStateStoreOptions.TablePrefix '{options.TablePrefix}' is not valid: use letters, digits and underscores, starting with a letter or underscore, at most 32 characters (default 'hil_').",
                nameof(options));
        }

        if (options.DataSource is not null)
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            throw new ArgumentException(
                "PostgreSqlStateStoreOptions.ConnectionString is required (or set DataSource), for example \"Host=localhost;Database=app;Username=app;Password=...\".",
                nameof(options));
        }

        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        }
        catch (Exception exception) when (exception is ArgumentException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            // The message of the parser never includes the password.
            throw new ArgumentException(
                $"PostgreSqlStateStoreOptions.ConnectionString is not a valid Npgsql connection string ({exception.Message}); expected for example \"Host=localhost;Database=app;Username=app;Password=...\".",
                nameof(options), exception);
        }

        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            throw new ArgumentException("PostgreSqlStateStoreOptions.ConnectionString names no server; add \"Host=<name or address>\".", nameof(options));
        }

        return builder;
    }
}
