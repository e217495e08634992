using System.Net;
using System.Text.Json;
using ApprovalWorkflow;
using HumanInLoop.Notifications.Tests.Infrastructure;
using HumanInLoop.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace HumanInLoop.Notifications.Tests;

/// <summary>
/// The workflow sample configured for an OpenAI-compatible endpoint (here a fake one on loopback speaking the real wire
/// format): the model's call pauses, a decision resumes it, the tool runs once and the model reads its result.
/// </summary>
public sealed class RealModelTests
{
    private const string Payment = """{"invoiceId":"INV-900","amount":"2500.00","payee":"Acme Corp"}""";

    [Fact]
    public async Task ModelSection_OverTheOpenAIWire_PausesOnTheModelsCall_DecisionResumes_PaysOnce()
    {
        await using FakeOpenAIEndpoint endpoint = new(body =>
        {
            JsonElement last = FakeOpenAIEndpoint.Messages(body)[^1];
            return last.GetProperty("role").GetString() == "tool"
                ? FakeOpenAIEndpoint.Text("Model read: " + last.GetProperty("content").GetString())
                : FakeOpenAIEndpoint.ToolCall("call_pay_1", "pay_invoice", Payment);
        });
        await using WorkflowEnvironment env = await WorkflowEnvironment.CreateAsync();
        env.Settings["Model:Endpoint"] = endpoint.Url;
        env.Settings["Model:Name"] = "test-model";
        env.Settings["Model:ApiKey"] = "sk-workflow-test";
        WebApplication host = await env.StartHostAsync();
        try
        {
            using HttpResponseMessage accepted = await env.PostInvoiceAsync("INV-900", "Acme Corp", 2500m);
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            WorkflowRecord waiting = await env.WaitForWorkflowAsync("wf-INV-900", "WaitingForApproval");

            // The model's call, from the wire, is what waits; nothing was paid.
            ApprovalService approvals = host.Services.GetRequiredService<ApprovalService>();
            PendingApproval pending = await approvals.GetAsync(waiting.ApprovalId!);
            Assert.Equal(ApprovalStatus.Pending, pending.Status);
            PendingToolCall call = Assert.Single(pending.Calls);
            Assert.Equal(("call_pay_1", "pay_invoice", CallDecisionStatus.AwaitingApproval), (call.CallId, call.ToolName, call.Decision));
            Assert.Equal("2500.00", call.Arguments.GetProperty("amount").GetString());
            Assert.Empty(await env.PaymentsAsync());

            JsonElement first = Assert.Single(endpoint.Requests);
            Assert.Equal("test-model", first.GetProperty("model").GetString());
            Assert.Equal(["pay_invoice"], FakeOpenAIEndpoint.ToolNames(first));
            Assert.Equal("Pay invoice INV-900 of $2500.00 to Acme Corp", FakeOpenAIEndpoint.Messages(first)[^1].GetProperty("content").GetString());
            Assert.Equal("Bearer sk-workflow-test", Assert.Single(endpoint.Authorizations));

            await approvals.DecideAsync(pending.Id, call.CallId, ApprovalDecision.Approve(new Approver("alice", ["finance"])));

            // AutoResume: the decision queues the resume; the tool runs once and the model reads its result.
            WorkflowRecord paid = await env.WaitForWorkflowAsync("wf-INV-900", "Paid");
            Assert.Equal("Model read: Paid invoice INV-900: $2500.00 to Acme Corp.", paid.Outcome);
            PaymentRecord payment = Assert.Single(await env.PaymentsAsync());
            Assert.Equal(("INV-900", 2500m, "Acme Corp"), (payment.InvoiceId, payment.Amount, payment.Payee));
            PendingToolCall ran = Assert.Single((await approvals.GetAsync(pending.Id)).Calls);
            Assert.Equal((CallExecutionStatus.Succeeded, 1), (ran.Execution, ran.Attempts));
            Assert.Equal(ran.IdempotencyKey, payment.IdempotencyKey);

            // Two model calls: the first, and after the resume one whose history answers the call with the tool's result.
            Assert.Equal(2, endpoint.Requests.Count);
            IReadOnlyList<JsonElement> resumed = FakeOpenAIEndpoint.Messages(endpoint.Requests.ToArray()[1]);
            JsonElement result = Assert.Single(resumed, m => m.GetProperty("role").GetString() == "tool");
            Assert.Equal("call_pay_1", result.GetProperty("tool_call_id").GetString());
            Assert.Equal("Paid invoice INV-900: $2500.00 to Acme Corp.", result.GetProperty("content").GetString());
            Assert.Empty(endpoint.Refusals);
        }
        finally
        {
            await host.StopAsync();
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task ConsoleVariables_UnderThreshold_RunAtOnceThroughTheEndpoint()
    {
        await using FakeOpenAIEndpoint endpoint = new(body => FakeOpenAIEndpoint.Messages(body)[^1].GetProperty("role").GetString() == "tool"
            ? FakeOpenAIEndpoint.Text("Done.")
            : FakeOpenAIEndpoint.ToolCall("call_pay_2", "pay_invoice", """{"invoiceId":"INV-901","amount":"99.50","payee":"Bolt Ltd"}"""));
        await using WorkflowEnvironment env = await WorkflowEnvironment.CreateAsync();

        // The variables the console reads (here through configuration, as the environment reaches it); no key for a local server.
        env.Settings["HUMANINLOOP_OPENAI_ENDPOINT"] = endpoint.Url;
        env.Settings["HUMANINLOOP_OPENAI_MODEL"] = "local-model";
        WebApplication host = await env.StartHostAsync();
        try
        {
            await env.PostInvoiceAsync("INV-901", "Bolt Ltd", 99.50m);

            Assert.Equal("Done.", (await env.WaitForWorkflowAsync("wf-INV-901", "Paid")).Outcome);
            Assert.Equal(["local-model", "local-model"], endpoint.Requests.Select(r => r.GetProperty("model").GetString()));
            Assert.Single(await env.PaymentsAsync());
            Assert.Empty(endpoint.Refusals);
        }
        finally
        {
            await host.StopAsync();
            await host.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("Model:Endpoint", "localhost:11434/v1", "Model:Name", "llama3.1", "is not an absolute http or https URL")]
    [InlineData("Model:Endpoint", "http://localhost:11434/v1", "Model:ApiKey", "", "Model:Name (or HUMANINLOOP_OPENAI_MODEL) is not set")]
    [InlineData("HUMANINLOOP_OPENAI_ENDPOINT", "ftp://models.example.com/v1", "Model:Name", "m", "'ftp://models.example.com/v1' is not an absolute http or https URL")]
    [InlineData("HUMANINLOOP_OPENAI_MODEL", "gpt-4o-mini", "Model:Endpoint", "", "Model:ApiKey (or HUMANINLOOP_OPENAI_API_KEY) is not set: api.openai.com needs a key")]
    public async Task BadModelConfiguration_StartupFails_SayingWhatToSet(string key, string value, string otherKey, string otherValue, string message)
    {
        await using WorkflowEnvironment env = await WorkflowEnvironment.CreateAsync();
        env.Settings[key] = value;
        env.Settings[otherKey] = otherValue;

        InvalidOperationException failure = Assert.Throws<InvalidOperationException>(() =>
            WorkflowApp.Create(["--contentRoot", env.Directory], builder => builder.Configuration.AddInMemoryCollection(env.Settings)));

        Assert.Contains(message, failure.Message, StringComparison.Ordinal);
    }
}
