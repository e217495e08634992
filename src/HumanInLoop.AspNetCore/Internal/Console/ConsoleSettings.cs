namespace HumanInLoop.AspNetCore.Internal;

/// <summary>The console's settings, fixed when it is mapped: the endpoint rules it shares (anti-forgery always on), read-only mode, title.</summary>
internal sealed record ConsoleSettings(ApprovalEndpointOptions Endpoints, bool ReadOnly, string Title);
