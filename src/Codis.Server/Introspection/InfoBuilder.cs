using System.Globalization;
using System.Text;

namespace Codis.Server.Introspection;

/// <summary>
/// Collects the text of INFO: "# Title" headers and "field:value" lines, CRLF-terminated, a blank line between
/// sections, exactly as Redis lays them out.
/// </summary>
internal sealed class InfoBuilder
{
    private readonly StringBuilder text = new(4096);

    public InfoBuilder Field(string name, string value)
    {
        text.Append(name).Append(':').Append(value).Append("\r\n");
        return this;
    }

    public InfoBuilder Field(string name, long value)
    {
        text.Append(name).Append(':').Append(value.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        return this;
    }

    /// <summary>A fractional value with a fixed number of decimals ("%.2f", "%.6f").</summary>
    public InfoBuilder Field(string name, double value, int decimals)
    {
        text.Append(name).Append(':').Append(value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)).Append("\r\n");
        return this;
    }

    /// <summary>Starts a section; sections are separated by a blank line (none after the last, as Redis).</summary>
    internal void Header(string title)
    {
        if (text.Length > 0) text.Append("\r\n");
        text.Append("# ").Append(title).Append("\r\n");
    }

    public override string ToString() => text.ToString();

    /// <summary>Redis's bytesToHuman: B, K, M, G, T, P with two decimals.</summary>
    public static string Human(long bytes)
    {
        double d = bytes;
        if (bytes < 1024) return bytes.ToString(CultureInfo.InvariantCulture) + "B";
        string[] units = ["K", "M", "G", "T", "P"];
        for (int i = 0; i < units.Length; i++)
        {
            d /= 1024;
            if (d < 1024 || i == units.Length - 1) return d.ToString("F2", CultureInfo.InvariantCulture) + units[i];
        }
        return bytes.ToString(CultureInfo.InvariantCulture) + "B";
    }
}
