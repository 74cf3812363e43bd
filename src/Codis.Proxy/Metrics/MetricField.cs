using System.Globalization;

namespace Codis.Proxy.Metrics;

/// <summary>One pushed figure: an integer (InfluxDB <c>123i</c>) or a float (<c>0.25</c>).</summary>
internal readonly record struct MetricField(string Name, long Integer, double Float, bool IsFloat)
{
    public static MetricField Of(string name, long value) => new(name, value, 0, false);
    public static MetricField Of(string name, double value) => new(name, 0, value, true);

    /// <summary>The value as plain decimal text (no exponent: statsd servers do not all read one).</summary>
    public string Text => IsFloat
        ? (double.IsFinite(Float) ? Float.ToString("0.#########", CultureInfo.InvariantCulture) : "0")
        : Integer.ToString(CultureInfo.InvariantCulture);
}
