using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace Codis.Dashboard.WebUi;

/// <summary>
/// The web UI's static files, embedded in the assembly (WebUi/wwwroot, logical names "webui/&lt;file&gt;") so the
/// published codis-dashboard carries them. "/" serves the page to browsers (they ask for text/html); API clients
/// asking "/" for anything else keep the redirect to /topom. Assets live under /ui/.
/// </summary>
internal static class WebUiAssets
{
    private const string Prefix = "webui/";

    private sealed record Asset(byte[] Body, string ContentType, string ETag);

    private static readonly Dictionary<string, Asset> Files = Load();

    private static Dictionary<string, Asset> Load()
    {
        var asm = Assembly.GetExecutingAssembly();
        var files = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var name in asm.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var s = asm.GetManifestResourceStream(name)!;
            using var m = new MemoryStream();
            s.CopyTo(m);
            var body = m.ToArray();
            files[name[Prefix.Length..]] = new Asset(body, TypeOf(name), "\"" + Convert.ToHexString(SHA256.HashData(body))[..16] + "\"");
        }
        return files;
    }

    private static string TypeOf(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        _ => "application/octet-stream",
    };

    /// <summary>The names of the embedded files (for tests and --help).</summary>
    public static IReadOnlyCollection<string> Names => Files.Keys;

    /// <summary>Serves the UI's files; anything else goes on to the API.</summary>
    public static async Task Middleware(HttpContext ctx, Func<Task> next)
    {
        var req = ctx.Request;
        if (!HttpMethods.IsGet(req.Method) && !HttpMethods.IsHead(req.Method)) { await next(); return; }
        string path = req.Path.Value ?? "";
        string? file = path switch
        {
            "/" when req.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase) => "index.html",
            "/ui" or "/ui/" => "index.html",
            _ when path.StartsWith("/ui/", StringComparison.Ordinal) => path[4..],
            _ => null,
        };
        if (file == null) { await next(); return; }
        var res = ctx.Response;
        if (!Files.TryGetValue(file, out var asset))
        {
            res.StatusCode = StatusCodes.Status404NotFound;
            res.ContentType = "text/plain; charset=utf-8";
            await res.WriteAsync($"no such file of the web UI: {file}");
            return;
        }
        // revalidate every time (cheap: an ETag check), so a new dashboard build is picked up at once
        res.Headers.CacheControl = "no-cache";
        res.Headers.ETag = asset.ETag;
        res.Headers.XContentTypeOptions = "nosniff";
        if (req.Headers.IfNoneMatch.ToString() == asset.ETag)
        {
            res.StatusCode = StatusCodes.Status304NotModified;
            return;
        }
        res.ContentType = asset.ContentType;
        res.ContentLength = asset.Body.Length;
        if (HttpMethods.IsHead(req.Method)) return;
        await res.Body.WriteAsync(asset.Body);
    }
}
