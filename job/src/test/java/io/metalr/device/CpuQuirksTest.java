package io.metalr.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The detection and what it sets; tests/ checks in a JVM of its own that libtorch obeys it. */
class CpuQuirksTest {

    private static final String ZEN5_VM = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\n"
            + "model\t\t: 2\nmodel name\t: AMD EPYC\nflags\t\t: fpu avx512f topoext\n\nprocessor\t: 1\n"
            + "vendor_id\t: AuthenticAMD\n";
    private static final String INTEL = "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\n"
            + "model name\t: Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz\n";

    @TempDir
    Path dir;

    private final List<String> set = new ArrayList<>();
    private final List<String> said = new ArrayList<>();

    private Path cpu0(boolean withCaches) throws IOException {
        Path cpu0 = dir.resolve("cpu0");
        Files.createDirectories(withCaches ? cpu0.resolve("cache/index0") : cpu0);
        return cpu0;
    }

    private boolean decide(String setting, String cpuinfo, Path cpu0, Map<String, String> env) {
        return CpuQuirks.decide(setting, cpuinfo, cpu0, env, set::add, said::add);
    }

    @Test
    void amdWithoutCacheTopologyCapsTheIsaAndSaysSo() throws IOException {
        assertTrue(decide("auto", ZEN5_VM, cpu0(false), Map.of()));
        assertEquals(List.of("AVX2"), set);
        assertEquals(1, said.size());
        String line = said.get(0);
        assertTrue(line.contains("AMD EPYC, family 26") && line.contains("ONEDNN_MAX_CPU_ISA=AVX2")
                && line.contains("1x1 convolutions run as matrix products") && line.contains("METALR_CPU_QUIRKS=off"), line);
    }

    @Test
    void anIsaTheUserSetIsKept() throws IOException {
        assertTrue(decide("auto", ZEN5_VM, cpu0(false), Map.of("ONEDNN_MAX_CPU_ISA", "AVX")));
        assertTrue(decide("auto", ZEN5_VM, cpu0(false), Map.of("DNNL_MAX_CPU_ISA", "SSE41")));
        assertEquals(List.of(), set);
        assertTrue(said.get(0).contains("ONEDNN_MAX_CPU_ISA is already AVX"), said.get(0));
    }

    @Test
    void cpusThatListTheirCachesAreLeftAloneSilently() throws IOException {
        assertFalse(decide("auto", ZEN5_VM, cpu0(true), Map.of()));
        // xbyak reads Intel caches from CPUID leaf 4, which the bug does not touch
        assertFalse(decide("auto", INTEL, cpu0(true), Map.of()));
        assertFalse(decide("auto", INTEL, dir.resolve("absent"), Map.of()));
        assertEquals(List.of(), set);
        assertEquals(List.of(), said);
    }

    @Test
    void settingOverridesDetection() throws IOException {
        assertFalse(decide("off", ZEN5_VM, cpu0(false), Map.of()));
        assertTrue(decide(" On ", INTEL, cpu0(true), Map.of()));
        assertEquals(List.of("AVX2"), set);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> decide("maybe", INTEL, cpu0(true), Map.of()));
        assertTrue(e.getMessage().contains("METALR_CPU_QUIRKS") && e.getMessage().contains("'maybe'"), e.getMessage());
    }
}
