namespace Codis.Dashboard.Topology;

/// <summary>An operation the dashboard refused or could not complete; the message says why and what to do.</summary>
internal sealed class TopomException(string message, Exception? inner = null) : Exception(message, inner);
