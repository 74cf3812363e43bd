using System.Text;
using Codis.Core.Slots;

namespace Codis.Core.Tests.Slots;

public class SlotHashTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void Crc32_CheckValue_MatchesIeee() => Assert.Equal(0xCBF43926u, SlotHash.Crc32(B("123456789")));

    [Theory]
    [InlineData("a", 0xE8B7BE43u, 579)]
    [InlineData("b", 0x71BEEFF9u, 1017)]
    [InlineData("c", 0x06B9DF6Fu, 879)]
    [InlineData("foo", 0x8C736521u, 289)]
    [InlineData("bar", 0x76FF8CAAu, 170)]
    [InlineData("hello", 0x3610A686u, 646)]
    [InlineData("{user1000}.following", 0x125ADB66u, 870)]
    [InlineData("user1000", 0x125ADB66u, 870)]
    [InlineData("a{b}c", 0x71BEEFF9u, 1017)]
    [InlineData("{}", 0u, 0)]
    [InlineData("{}abc", 0u, 0)]
    [InlineData("foo{}{bar}", 0u, 0)]
    [InlineData("", 0u, 0)]
    [InlineData("foo{{bar}}zap", 0x14C4AD39u, 313)]
    [InlineData("{bar", 0x14C4AD39u, 313)]
    [InlineData("bar}{", 0xAC795067u, 103)]
    public void Slot_ReferenceVectors_Match(string key, uint crc, int slot)
    {
        Assert.Equal(crc, SlotHash.TagCrc(B(key)));
        Assert.Equal(slot, SlotHash.Slot(B(key)));
    }

    [Fact]
    public void Slot_HashTagSharesSlot_WithItsBody()
    {
        Assert.Equal(136, SlotHash.Slot(B("user:{42}:profile")));
        Assert.Equal(136, SlotHash.Slot(B("{42}")));
    }

    [Theory]
    [InlineData("plain", false)]
    [InlineData("{tag}x", true)]
    [InlineData("{}", true)]
    [InlineData("{open", false)]
    public void HasTag_FollowsTheTagRule(string key, bool expected) => Assert.Equal(expected, SlotHash.HasTag(B(key)));
}
