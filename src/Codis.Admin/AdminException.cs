namespace Codis.Admin;

/// <summary>A CLI failure whose message is shown to the operator as is.</summary>
internal sealed class AdminException(string message) : Exception(message);
