using System.Text;
using System.Text.Json;

namespace Codis.Core.Logging;

public enum LogLevel { Debug, Info, Warning, Error }

/// <summary>
/// Structured logs for every binary: one line per event with a timestamp, level, component, message and
/// key=value fields ("text"), or one JSON object per line ("json"). Thread-safe, written to stderr.
/// </summary>
public static class Log
{
    private static readonly Lock gate = new();
    public static LogLevel MinLevel { get; set; } = LogLevel.Info;
    public static bool Json { get; set; }
    public static string Component { get; set; } = "codis";
    public static TextWriter Output { get; set; } = Console.Error;

    /// <summary>A log level as the admin APIs and flags take it: debug, info, warn(ing), error/err, any case.</summary>
    public static bool TryParseLevel(string v, out LogLevel level)
    {
        switch (v.ToLowerInvariant())
        {
            case "debug": level = LogLevel.Debug; return true;
            case "info": level = LogLevel.Info; return true;
            case "warn" or "warning": level = LogLevel.Warning; return true;
            case "error" or "err": level = LogLevel.Error; return true;
            default: level = LogLevel.Info; return false;
        }
    }

    public static void Debug(string message, params (string Key, object? Value)[] fields) => Write(LogLevel.Debug, message, fields);
    public static void Info(string message, params (string Key, object? Value)[] fields) => Write(LogLevel.Info, message, fields);
    public static void Warn(string message, params (string Key, object? Value)[] fields) => Write(LogLevel.Warning, message, fields);
    public static void Error(string message, params (string Key, object? Value)[] fields) => Write(LogLevel.Error, message, fields);

    public static void Write(LogLevel level, string message, (string Key, object? Value)[] fields)
    {
        if (level < MinLevel) return;
        string line = Json ? FormatJson(level, message, fields) : FormatText(level, message, fields);
        lock (gate)
        {
            Output.WriteLine(line);
            Output.Flush();
        }
    }

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Debug => "debug",
        LogLevel.Info => "info",
        LogLevel.Warning => "warn",
        _ => "error",
    };

    private static string FormatText(LogLevel level, string message, (string Key, object? Value)[] fields)
    {
        var sb = new StringBuilder(128);
        sb.Append(DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ")).Append(' ')
          .Append(LevelName(level).ToUpperInvariant().PadRight(5)).Append(' ')
          .Append(Component).Append(' ').Append(Environment.ProcessId).Append(": ").Append(message);
        foreach (var (k, v) in fields)
        {
            sb.Append(' ').Append(k).Append('=');
            string s = v?.ToString() ?? "";
            if (s.Length == 0 || s.Contains(' ') || s.Contains('"')) sb.Append(JsonSerializer.Serialize(s));
            else sb.Append(s);
        }
        return sb.ToString();
    }

    private static string FormatJson(LogLevel level, string message, (string Key, object? Value)[] fields)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("time", DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"));
            w.WriteString("level", LevelName(level));
            w.WriteString("component", Component);
            w.WriteNumber("pid", Environment.ProcessId);
            w.WriteString("msg", message);
            foreach (var (k, v) in fields)
            {
                switch (v)
                {
                    case null: w.WriteNull(k); break;
                    case int i: w.WriteNumber(k, i); break;
                    case long l: w.WriteNumber(k, l); break;
                    case double d: w.WriteNumber(k, d); break;
                    case bool b: w.WriteBoolean(k, b); break;
                    default: w.WriteString(k, v.ToString()); break;
                }
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }
}
