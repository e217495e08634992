using System.Text;

namespace HumanInLoop.Cli.Commands;

/// <summary>Where <c>export</c> writes its JSON Lines: a file, or the command's output writer; counts the lines for the progress bar.</summary>
internal sealed class ExportSink(Stream? file, TextWriter? writer, Action<long> onLines) : Stream
{
    private readonly Decoder _decoder = new UTF8Encoding(false).GetDecoder();
    private long _lines;

    public long Lines => _lines;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (file is not null)
        {
            file.Write(buffer);
        }
        else
        {
            char[] chars = new char[_decoder.GetCharCount(buffer, flush: false)];
            int written = _decoder.GetChars(buffer, chars, flush: false);
            writer!.Write(chars, 0, written);
        }

        Count(buffer);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (file is not null)
        {
            await file.WriteAsync(buffer, cancellationToken);
            Count(buffer.Span);
        }
        else
        {
            Write(buffer.Span);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
        file?.Flush();
        writer?.Flush();
    }

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (file is not null)
        {
            await file.FlushAsync(cancellationToken);
        }

        if (writer is not null)
        {
            await writer.FlushAsync(cancellationToken);
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private void Count(ReadOnlySpan<byte> buffer)
    {
        int newLines = buffer.Count((byte)'\n');
        if (newLines > 0)
        {
            _lines += newLines;
            onLines(_lines);
        }
    }
}
