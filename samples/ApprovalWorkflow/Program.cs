using ApprovalWorkflow;

await WorkflowApp.Create(args).RunAsync();
