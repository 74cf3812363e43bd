using System.Text;
using Codis.Server.Persistence;

namespace Codis.Server.Scripting;

/// <summary>A loaded library: its code as given (what FUNCTION DUMP and the RDB keep) and its functions.</summary>
internal sealed record FunctionLibrary(string Name, byte[] Code, List<LuaFunction> Functions);

/// <summary>
/// The function libraries (Redis 7.0's FUNCTION): the "#!lua name=..." metadata, load and replace, delete, flush,
/// FUNCTION DUMP / RESTORE payloads (one RDB function record per library + the DUMP footer) and the RDB's set.
/// Changes are all-or-nothing: a library whose code fails, or whose functions collide, leaves everything as it was.
/// Everything here runs under the keyspace lock.
/// </summary>
internal sealed class FunctionLibraries(ScriptEngine engine)
{
    private const string NameError = "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

    // Libraries by name (listed and dumped in name order: Redis's order is its hash table's); functions by name
    // across all libraries.
    private readonly Dictionary<string, FunctionLibrary> libraries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (LuaFunction Function, FunctionLibrary Library)> functions = new(StringComparer.Ordinal);
    private long codeBytes;

    public int LibraryCount => libraries.Count;
    public int FunctionCount => functions.Count;

    /// <summary>INFO used_memory_functions: the libraries' code.</summary>
    public long CodeBytes => codeBytes;

    public IEnumerable<FunctionLibrary> Libraries => libraries.Values.OrderBy(l => l.Name, StringComparer.Ordinal);

    public LuaFunction? Find(ReadOnlySpan<byte> name) =>
        functions.TryGetValue(Encoding.UTF8.GetString(name), out var f) ? f.Function : null;

    /// <summary>FUNCTION LOAD [REPLACE]: the library's name, or the error reply.</summary>
    public string? Load(byte[] code, bool replace, out string name)
    {
        if (ParseMetadata(code, out name) is { } error) return error;
        if (!replace && libraries.ContainsKey(name)) return $"ERR Library '{name}' already exists";
        if (Compile(name, code, out var library) is { } compileError) return compileError;
        var changes = new Dictionary<string, FunctionLibrary?> { [name] = library };
        if (Collision(changes) is { } collision)
        {
            engine.ReleaseFunctions(library.Functions);
            return $"ERR Function {collision} already exists";
        }
        Apply(changes);
        return null;
    }

    /// <summary>FUNCTION DELETE: false when there is no such library.</summary>
    public bool Delete(string name)
    {
        if (!libraries.ContainsKey(name)) return false;
        Apply(new Dictionary<string, FunctionLibrary?> { [name] = null });
        return true;
    }

    /// <summary>FUNCTION FLUSH, and RESTORE's FLUSH policy.</summary>
    public void Flush()
    {
        foreach (var library in libraries.Values) engine.ReleaseFunctions(library.Functions);
        libraries.Clear();
        functions.Clear();
        codeBytes = 0;
    }

    /// <summary>FUNCTION DUMP: per library an RDB function record (0xF5 + the code as an RDB string), then the footer.</summary>
    public byte[] Dump()
    {
        var w = new RdbWriter(256) { Compression = true };
        WriteRecords(w);
        w.WriteUInt16LE(DumpPayload.RdbVersion);
        w.WriteUInt64LE(Crc64.Compute(w.WrittenSpan));
        return w.ToArray();
    }

    /// <summary>The libraries as RDB function records (an RDB writes them before the databases).</summary>
    public void WriteRecords(RdbWriter w)
    {
        foreach (var library in Libraries)
        {
            w.WriteByte(RdbOpcode.Function2);
            w.WriteString(library.Code);
        }
    }

    /// <summary>The libraries' code, for a snapshot (an RDB written off the lock).</summary>
    public List<byte[]> Codes() => Libraries.Select(l => l.Code).ToList();

    public enum RestorePolicy { Append, Replace, Flush }

    /// <summary>FUNCTION RESTORE: null or the error reply (then nothing changed).</summary>
    public string? Restore(ReadOnlySpan<byte> payload, RestorePolicy policy)
    {
        if (!DumpPayload.VerifyFooter(payload)) return DumpPayload.ErrorChecksum;
        var codes = new List<byte[]>();
        try
        {
            var r = new RdbReader(payload[..^10].ToArray());
            while (r.Position < payload.Length - 10)
            {
                if (r.ReadByte() != RdbOpcode.Function2) return "ERR given type is not a function";
                codes.Add(r.ReadString());
            }
        }
        catch (RdbFormatException)
        {
            return "ERR Failed loading library payload";
        }
        return Install(codes, policy);
    }

    /// <summary>The libraries an RDB holds replace the current ones (a load at startup, a full sync).</summary>
    /// <exception cref="InvalidDataException">a library does not load; the message is the error</exception>
    public void ReplaceAll(List<byte[]> codes)
    {
        if (Install(codes, RestorePolicy.Flush) is { } error) throw new InvalidDataException("function library: " + error);
    }

    /// <summary>Compiles every library first, checks names against the policy, then changes the set at once.</summary>
    private string? Install(List<byte[]> codes, RestorePolicy policy)
    {
        var changes = new Dictionary<string, FunctionLibrary?>(StringComparer.Ordinal);
        if (policy == RestorePolicy.Flush)
            foreach (var name in libraries.Keys) changes[name] = null;
        string? error = null;
        foreach (var code in codes)
        {
            if (ParseMetadata(code, out string name) is { } metaError) error = metaError;
            else if (changes.GetValueOrDefault(name) != null) error = $"ERR Library '{name}' already exists"; // twice in the payload
            else if (policy == RestorePolicy.Append && libraries.ContainsKey(name)) error = $"ERR Library {name} already exists";
            else if (Compile(name, code, out var library) is { } compileError) error = compileError;
            else changes[name] = library;
            if (error != null) break;
        }
        if (error == null && Collision(changes) is { } collision) error = $"ERR Function {collision} already exists";
        if (error != null)
        {
            foreach (var library in changes.Values) if (library != null) engine.ReleaseFunctions(library.Functions);
            return error;
        }
        Apply(changes);
        return null;
    }

    private string? Compile(string name, byte[] code, out FunctionLibrary library)
    {
        var error = engine.LoadLibrary(code, out var registered);
        library = new FunctionLibrary(name, code, registered);
        if (error != null) return error;
        if (registered.Count == 0) return "ERR No functions registered";
        return null;
    }

    /// <summary>A function name the changed libraries would share with another library (new or kept), or null.</summary>
    private string? Collision(Dictionary<string, FunctionLibrary?> changes)
    {
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (fname, entry) in functions)
            if (!changes.ContainsKey(entry.Library.Name)) owners[fname] = entry.Library.Name;
        foreach (var library in changes.Values)
        {
            if (library == null) continue;
            foreach (var f in library.Functions)
                if (!owners.TryAdd(f.Name, library.Name)) return f.Name;
        }
        return null;
    }

    /// <summary>Commits: each named library is replaced by the new one, or removed (null).</summary>
    private void Apply(Dictionary<string, FunctionLibrary?> changes)
    {
        foreach (var (name, library) in changes)
        {
            if (libraries.Remove(name, out var old))
            {
                foreach (var f in old.Functions) functions.Remove(f.Name);
                engine.ReleaseFunctions(old.Functions);
                codeBytes -= old.Code.Length;
            }
            if (library == null) continue;
            libraries[name] = library;
            foreach (var f in library.Functions) functions[f.Name] = (f, library);
            codeBytes += library.Code.Length;
        }
    }

    /// <summary>The "#!&lt;engine&gt; name=&lt;library&gt;" first line, checked as Redis 7.0 does, with its error texts.</summary>
    private static string? ParseMetadata(ReadOnlySpan<byte> code, out string name)
    {
        name = "";
        if (!code.StartsWith("#!"u8)) return "ERR Missing library metadata";
        int eol = code.IndexOf((byte)'\n');
        if (eol < 0) return "ERR Invalid library metadata";
        var parts = Encoding.UTF8.GetString(code[2..eol]).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string engineName = parts.Length == 0 ? "" : parts[0];
        if (!engineName.Equals("lua", StringComparison.OrdinalIgnoreCase)) return $"ERR Engine '{engineName}' not found";
        string? given = null;
        foreach (var part in parts.Skip(1))
        {
            if (!part.StartsWith("name=", StringComparison.Ordinal)) return "ERR Invalid metadata value given: " + part;
            if (given != null) return "ERR Invalid metadata value, name argument was given multiple times";
            given = part[5..];
        }
        if (given == null) return "ERR Library name was not given";
        if (given.Length == 0 || !given.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')) return NameError;
        name = given;
        return null;
    }
}
