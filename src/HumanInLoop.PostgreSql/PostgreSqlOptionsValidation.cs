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
        return Validate(options.ConnectionString, options.DataSource, options.Schema, options.TablePrefix, nameof(PostgreSqlStateStoreOptions));
    }

    /// <summary>Checks the settings of a store (named <paramref name="optionsName"/> in messages, <paramref name="paramName"/> in the exception); returns the parsed connection string when one is used.</summary>
    public static NpgsqlConnectionStringBuilder? Validate(string? connectionString, NpgsqlDataSource? dataSource, string schema, string tablePrefix, string optionsName, string paramName = "options")
    {
        if (!StoreIdentifiers.IsPlain(schema, allowEmpty: false, maxLength: 63))
        {
            throw new ArgumentException(
                $"{optionsName}.Schema '{schema}' is not valid: use letters, digits and underscores, starting with a letter or underscore, at most 63 characters (default 'public').",
                paramName);
        }

        if (!StoreIdentifiers.IsPlain(tablePrefix, allowEmpty: true, maxLength: 32))
        {
            throw new ArgumentException(
                $"{optionsName}.TablePrefix '{tablePrefix}' is not valid: use letters, digits and underscores, starting with a letter or underscore, at most 32 characters (default 'hil_').",
                paramName);
        }

        if (dataSource is not null)
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new ArgumentException(
                $"{optionsName}.ConnectionString is required (or set DataSource), for example \"Host=localhost;Database=app;Username=app;Password=...\".",
                paramName);
        }

        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception exception) when (exception is ArgumentException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            // The message of the parser never includes the password.
            throw new ArgumentException(
                $"{optionsName}.ConnectionString is not a valid Npgsql connection string ({exception.Message}); expected for example \"Host=localhost;Database=app;Username=app;Password=...\".",
                paramName, exception);
        }

        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            throw new ArgumentException($"{optionsName}.ConnectionString names no server; add \"Host=<name or address>\".", paramName);
        }

        return builder;
    }
}
