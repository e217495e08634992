// A worker process for the stores' multi-process tests. It uses the real approval gate over a scripted model and
// a "transfer" tool that records every execution durably in the same database as the approvals.
//
// usage: HumanInLoop.StoreWorker <sqlite|postgres> <connection string> <table prefix | schema> <lease ms> <command> [arguments]
//   prepare <n> <none|approve>             pause n conversations (and approve each); prints "id <approval id>" per approval
//   pause <conversation>                   pause one conversation; prints "paused <approval id>"
//   list-decide-resume <conversation>      list its pending approvals, approve the first and resume it
//   resume <id> <tool sleep min ms> <max>  prints "resuming", then the outcome
//   resume-race <id> <n> <start unix ms>   n concurrent resumes from the given instant; prints "outcome <outcome>" per attempt
//   decide-race <id> <approve|reject> <n> <start unix ms> <approver>
//   resume-each <id>...                    prints "<id> <outcome>" for each
//   crash <write> <before|after> <delay ms> <conversation>   the crash-point matrix's run, killed at one write (see CrashWorker)
//   recover <conversation>...              the crash-point matrix's restart: finishes each conversation (see CrashWorker)
// Outcomes: "ok", "conflict <Status>", "expired", "not-found", "error <ExceptionType>".
using HumanInLoop.StoreWorker;

return await Worker.RunAsync(args);
