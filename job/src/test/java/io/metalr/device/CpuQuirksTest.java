package io.metalr.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.device.CpuQuirks.Remedy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The detection and the choice of remedy; tests/ checks in JVMs of their own that libtorch obeys. */
class CpuQuirksTest {

    private static final String ZEN5_VM = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\n"
            + "model\t\t: 2\nmodel name\t: AMD EPYC\nflags\t\t: fpu avx512f topoext\n\nprocessor\t: 1\n"
            + "vendor_id\t: AuthenticAMD\n";
    private static final String INTEL = "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\n"
            + "model name\t: Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz\n";

    @TempDir
    Path dir;

    private final List<String> pulled = new ArrayList<>();
    private final List<String> said = new ArrayList<>();

    /** Levers that record what was pulled; the cache reset fails when {@code resetFails}. */
    private CpuQuirks.Levers levers(boolean resetFails) {
        return new CpuQuirks.Levers() {
            @Override
            public long[] resetOneDnnCacheLevels() throws IOException {
                pulled.add("reset");
                if (resetFails) {
                    throw new IOException("unexpected oneDNN cache layout");
                }
                return new long[] {32768, 524288, 1048576};
            }

            @Override
            public void disableOneDnn() {
                pulled.add("no-onednn");
            }
        };
    }

    private Path cpu0(boolean withCaches) throws IOException {
        Path cpu0 = dir.resolve("cpu0");
        Files.createDirectories(withCaches ? cpu0.resolve("cache/index0") : cpu0);
        return cpu0;
    }

    @Test
    void amdWithoutCacheTopologyGetsOneDnnDefaultCachesAndSaysSo() throws IOException {
        assertEquals(Remedy.ONEDNN_DEFAULT_CACHES, CpuQuirks.decide("auto", ZEN5_VM, cpu0(false), levers(false), said::add));
        assertEquals(List.of("reset"), pulled);
        assertEquals(1, said.size());
        String line = said.get(0);
        assertTrue(line.contains("AMD EPYC, family 26") && line.contains("no cache topology")
                && line.contains("L1 32 KiB, L2 512 KiB, L3 1024 KiB") && line.contains("METALR_CPU_QUIRKS=off"), line);
    }

    @Test
    void whenTheCacheViewCannotBeResetOneDnnIsTurnedOff() throws IOException {
        assertEquals(Remedy.NO_ONEDNN, CpuQuirks.decide("auto", ZEN5_VM, cpu0(false), levers(true), said::add));
        assertEquals(List.of("reset", "no-onednn"), pulled);
        assertTrue(said.get(0).contains("unexpected oneDNN cache layout") && said.get(0).contains("ATen's own kernels"),
                said.get(0));
    }

    @Test
    void cpusThatListTheirCachesAreLeftAloneSilently() throws IOException {
        assertEquals(Remedy.NONE, CpuQuirks.decide("auto", ZEN5_VM, cpu0(true), levers(false), said::add));
        // xbyak reads Intel caches from CPUID leaf 4, which the bug does not touch
        assertEquals(Remedy.NONE, CpuQuirks.decide("auto", INTEL, cpu0(true), levers(false), said::add));
        assertEquals(Remedy.NONE, CpuQuirks.decide("auto", INTEL, dir.resolve("absent"), levers(false), said::add));
        assertEquals(List.of(), pulled);
        assertEquals(List.of(), said);
    }

    @Test
    void settingOverridesDetection() throws IOException {
        assertEquals(Remedy.NONE, CpuQuirks.decide("off", ZEN5_VM, cpu0(false), levers(false), said::add));
        assertEquals(List.of(), pulled);
        assertEquals(Remedy.NO_ONEDNN, CpuQuirks.decide(" No-oneDNN ", INTEL, cpu0(true), levers(false), said::add));
        assertEquals(List.of("no-onednn"), pulled);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CpuQuirks.decide("maybe", INTEL, cpu0(true), levers(false), said::add));
        assertTrue(e.getMessage().contains("METALR_CPU_QUIRKS") && e.getMessage().contains("'maybe'"), e.getMessage());
    }
}
