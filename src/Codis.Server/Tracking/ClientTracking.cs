namespace Codis.Server.Tracking;

/// <summary>One client's CLIENT TRACKING settings (Redis's CLIENT_TRACKING* flags); null on the session while off.</summary>
internal sealed class ClientTracking
{
    public bool Bcast { get; init; }
    public bool OptIn { get; init; }
    public bool OptOut { get; init; }
    public bool NoLoop { get; set; }

    /// <summary>The client that gets the invalidations (REDIRECT id); 0 = this client itself.</summary>
    public long Redirect { get; set; }

    /// <summary>The redirect target went away (CLIENT LIST flag R, TRACKINGINFO broken_redirect).</summary>
    public bool BrokenRedirect { get; set; }

    /// <summary>BCAST prefixes; an empty prefix when BCAST names none (every key).</summary>
    public List<byte[]> Prefixes { get; } = new();

    /// <summary>CLIENT CACHING yes (OPTIN) or no (OPTOUT): applies to the next command only.</summary>
    public bool CachingOnce { get; set; }
}
