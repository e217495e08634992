using System.Runtime.CompilerServices;

// The store contract moved to the core package (so HumanInLoop.Sqlite and HumanInLoop.PostgreSql implement it without
// referencing MailKit); code compiled against an earlier HumanInLoop.Notifications still finds it here.
[assembly: TypeForwardedTo(typeof(HumanInLoop.Notifications.INotificationStore))]
