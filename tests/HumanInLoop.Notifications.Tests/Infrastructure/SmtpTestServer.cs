using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MimeKit;

namespace HumanInLoop.Notifications.Tests.Infrastructure;

/// <summary>
/// A minimal SMTP server on loopback (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT): enough for MailKit. It keeps every
/// message it accepts, and can refuse the next connections with 421 to test retries.
/// </summary>
public sealed class SmtpTestServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _refuseNext;

    public SmtpTestServer()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    public ConcurrentQueue<(string From, string[] To, MimeMessage Message)> Messages { get; } = new();

    public int Connections;

    /// <summary>Refuses the next <paramref name="count"/> connections with "421 try again later".</summary>
    public void RefuseNext(int count) => Volatile.Write(ref _refuseNext, count);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            Interlocked.Increment(ref Connections);
            using CancellationTokenSource timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            NetworkStream stream = client.GetStream();
            using StreamReader reader = new(stream, Encoding.Latin1, false, 1024, leaveOpen: true);
            await using StreamWriter writer = new(stream, Encoding.Latin1, 1024, leaveOpen: true) { NewLine = "\r\n", AutoFlush = true };
            try
            {
                if (Interlocked.Decrement(ref _refuseNext) >= 0)
                {
                    await writer.WriteLineAsync("421 4.3.2 Try again later");
                    return;
                }

                await writer.WriteLineAsync("220 localhost test SMTP");
                string from = "";
                List<string> to = [];
                for (int commands = 0; commands < 200; commands++)
                {
                    string? line = await reader.ReadLineAsync(timeout.Token);
                    if (line is null)
                    {
                        return;
                    }

                    string verb = line.Length >= 4 ? line[..4].ToUpperInvariant() : line.ToUpperInvariant();
                    switch (verb)
                    {
                        case "EHLO" or "HELO":
                            await writer.WriteLineAsync("250 localhost");
                            break;
                        case "MAIL":
                            from = line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
                            to.Clear();
                            await writer.WriteLineAsync("250 2.1.0 OK");
                            break;
                        case "RCPT":
                            to.Add(line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim().Trim('<', '>'));
                            await writer.WriteLineAsync("250 2.1.5 OK");
                            break;
                        case "DATA":
                            await writer.WriteLineAsync("354 End data with <CR><LF>.<CR><LF>");
                            StringBuilder data = new();
                            for (int lines = 0; lines < 100_000; lines++)
                            {
                                string? dataLine = await reader.ReadLineAsync(timeout.Token);
                                if (dataLine is null or ".")
                                {
                                    break;
                                }

                                data.Append(dataLine.StartsWith('.') ? dataLine[1..] : dataLine).Append("\r\n");
                            }

                            using (MemoryStream raw = new(Encoding.Latin1.GetBytes(data.ToString())))
                            {
                                Messages.Enqueue((from, [.. to], await MimeMessage.LoadAsync(raw)));
                            }

                            await writer.WriteLineAsync("250 2.0.0 Queued");
                            break;
                        case "RSET" or "NOOP":
                            await writer.WriteLineAsync("250 OK");
                            break;
                        case "QUIT":
                            await writer.WriteLineAsync("221 Bye");
                            return;
                        default:
                            await writer.WriteLineAsync("502 5.5.2 Command not recognized");
                            break;
                    }
                }
            }
            catch (Exception exception) when (exception is IOException or OperationCanceledException or SocketException)
            {
            }
        }
    }
}
