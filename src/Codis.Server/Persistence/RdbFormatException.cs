namespace Codis.Server.Persistence;

/// <summary>
/// Raised while decoding RDB bytes that are malformed or unsupported. Decoding is not a hot path and corrupt input
/// is rare, so one exception caught at the API boundary (RESTORE → "ERR Bad data format") keeps the readers simple.
/// </summary>
internal sealed class RdbFormatException(string message) : Exception(message);
