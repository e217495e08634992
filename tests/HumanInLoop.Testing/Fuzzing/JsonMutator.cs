using System.Text.Json;
using System.Text.Json.Nodes;

namespace HumanInLoop.Testing.Fuzzing;

/// <summary>
/// Mutates a valid JSON document the ways hostile input arrives: bit flips, cut spans, stray tokens, truncation, a splice of two
/// documents, and (structure-aware) a value of another type, a number past <see cref="decimal"/> or <see cref="double"/>, a deep
/// nest, a huge string, a removed member. Deterministic for a given <see cref="Random"/>.
/// </summary>
public static class JsonMutator
{
    private static readonly string[] Tokens =
    [
        "{", "}", "[", "]", ",", ":", "\"", "null", "1e999", "-0", "\\u0000", "\\ud800", "\"$type\":\"x\"", "true", " ", "\u0000", "\uFFFF",
        "79228162514264337593543950336", "-1e-400", "NaN", "Infinity", "\"__proto__\":{}", "/*", "\uFEFF",
    ];

    /// <summary>Numbers that overflow or underflow the types a reader may use for them.</summary>
    public static readonly string[] HostileNumbers =
    [
        "79228162514264337593543950336", "-79228162514264337593543950336", "1e400", "-1e400", "1e-400", "1e29", "9223372036854775808",
        "0.00000000000000000000000000000000000000000001", "123456789012345678901234567890.5", "1E+308", "4.9e-324", "-0",
    ];

    public static string Mutate(string json, Random random, string? splice = null)
    {
        int rounds = 1 + random.Next(3);
        for (int r = 0; r < rounds && json.Length > 0; r++)
        {
            json = random.Next(7) switch
            {
                0 => Flip(json, random),
                1 => RemoveSpan(json, random),
                2 => json.Insert(random.Next(json.Length), Tokens[random.Next(Tokens.Length)]),
                3 or 4 => ReplaceNode(json, random),
                5 when splice is { Length: > 0 } => json[..random.Next(json.Length)] + splice[random.Next(splice.Length)..],
                _ => json[..random.Next(json.Length)],
            };
        }

        return json;
    }

    /// <summary>A value to put where a valid one was: another type, a hostile number, a deep nest, a huge string.</summary>
    public static JsonNode? HostileValue(Random random) => random.Next(12) switch
    {
        0 => null,
        1 => JsonValue.Create(random.Next() % 2 == 0),
        2 => JsonValue.Create(-random.NextInt64()),
        3 => JsonValue.Create("x"),
        4 => new JsonObject(),
        5 => new JsonArray(),
        6 => Nest(20 + random.Next(300)),
        7 => JsonValue.Create(new string('a', random.Next(200_000))),
        8 => JsonValue.Create("1970-01-01T00:00:00+00:00"),
        9 => JsonValue.Create("\u202Eevil\u0000\uD800"),
        _ => JsonNode.Parse(HostileNumbers[random.Next(HostileNumbers.Length)]),
    };

    /// <summary>A nest of arrays or objects <paramref name="depth"/> deep, as text (past any reader's depth limit if asked).</summary>
    public static string NestText(int depth, bool objects) =>
        objects ? string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth) : new string('[', depth) + new string(']', depth);

    private static string Flip(string json, Random random)
    {
        char[] chars = json.ToCharArray();
        int at = random.Next(chars.Length);
        chars[at] = (char)(chars[at] ^ (1 << random.Next(random.Next(2) == 0 ? 7 : 16)));
        return new string(chars);
    }

    private static string RemoveSpan(string json, Random random)
    {
        int at = random.Next(json.Length);
        return json.Remove(at, Math.Min(1 + random.Next(16), json.Length - at));
    }

    private static string ReplaceNode(string json, Random random)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 512 });
        }
        catch (JsonException)
        {
            return json;
        }

        if (root is null)
        {
            return json;
        }

        try
        {
            List<(JsonNode Parent, object Key)> slots = [];
            Collect(root, slots);
            if (slots.Count == 0)
            {
                return json;
            }

            (JsonNode parent, object key) = slots[random.Next(slots.Count)];
            if (random.Next(8) == 0 && parent is JsonObject removeFrom && key is string name)
            {
                removeFrom.Remove(name);
            }
            else if (parent is JsonObject obj)
            {
                obj[(string)key] = HostileValue(random);
            }
            else if (parent is JsonArray array)
            {
                array[(int)key] = HostileValue(random);
            }

            return root.ToJsonString();
        }
        catch (Exception exception) when (exception is ArgumentException or InvalidOperationException or JsonException)
        {
            return json; // duplicate keys or a depth the writer refuses: leave the input as it was
        }
    }

    private static void Collect(JsonNode node, List<(JsonNode, object)> slots)
    {
        if (slots.Count > 10_000)
        {
            return;
        }

        switch (node)
        {
            case JsonObject obj:
                foreach ((string name, JsonNode? child) in obj.ToList())
                {
                    slots.Add((obj, name));
                    if (child is not null)
                    {
                        Collect(child, slots);
                    }
                }

                break;
            case JsonArray array:
                for (int i = 0; i < array.Count; i++)
                {
                    slots.Add((array, i));
                    if (array[i] is { } child)
                    {
                        Collect(child, slots);
                    }
                }

                break;
        }
    }

    private static JsonNode Nest(int depth)
    {
        string text = NestText(depth, objects: false);
        return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = depth + 2 })!;
    }
}
