package io.metalr.device;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The two native levers {@link CpuQuirks} pulls inside the libtorch this JVM loaded (DJL's
 * {@code libtorch_cpu.so}), found by name: oneDNN's view of the CPU caches, and ATen's switch for
 * oneDNN. Both must act before libtorch's first convolution.
 */
final class LibtorchNative {

    /** {@code dnnl::impl::cpu::x64::cpu()}: the function returning oneDNN's xbyak {@code Cpu}. */
    static final String CPU_FUNCTION = "_ZN4dnnl4impl3cpu3x643cpuEv";
    /** {@code dnnl::impl::cpu::platform::get_per_core_cache_size(int)}. */
    static final String CACHE_SIZE_FUNCTION = "_ZN4dnnl4impl3cpu8platform23get_per_core_cache_sizeEi";
    /**
     * Byte offset of {@code dataCacheLevels_} in the xbyak {@code Cpu} of oneDNN 3.7.1 (libtorch
     * 2.7.1); checked before it is written (see {@link #resetCacheLevels}).
     */
    static final long CACHE_LEVELS_OFFSET = 0x6c;

    private final Path library;
    /** The oneDNN functions by name, at their addresses in this process. */
    private final Map<String, Long> addresses;

    private LibtorchNative(Path library, long base) throws IOException {
        this.library = library;
        this.addresses = new HashMap<>();
        ElfSymbols.find(library, Set.of(CPU_FUNCTION, CACHE_SIZE_FUNCTION))
                .forEach((name, value) -> addresses.put(name, base + value));
    }

    /** The libtorch_cpu.so this process has mapped (load libtorch first). */
    static LibtorchNative loaded() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            // start-end perms offset dev inode path
            String[] f = line.trim().split("\\s+", 6);
            if (f.length == 6 && f[5].endsWith("/libtorch_cpu.so") && Long.parseLong(f[2], 16) == 0) {
                return new LibtorchNative(Path.of(f[5]), Long.parseUnsignedLong(f[0].split("-")[0], 16));
            }
        }
        throw new IOException("libtorch_cpu.so is not mapped in this process");
    }

    Path library() {
        return library;
    }

    /** oneDNN's per-core size of a cache level, in bytes, as its kernels see it. */
    long perCoreCacheSize(int level) throws IOException {
        return Integer.toUnsignedLong(function(CACHE_SIZE_FUNCTION).invokeInt(new Object[] {level}));
    }

    /**
     * Sets oneDNN's count of known cache levels to 0, so that it sizes its kernels with its built-in
     * defaults, as oneDNN versions with a fixed xbyak do when the CPU does not describe its caches.
     * The field is written only if it holds the count the broken detection leaves (3) and only
     * while oneDNN's L1 is below {@code brokenBelow} bytes; afterwards the L1 oneDNN reports must be
     * at least that. Returns oneDNN's L1, L2 and L3 per core after the change.
     *
     * @throws IOException when the layout is not the expected one (nothing is written) or the
     *     change did not take (the old value is restored)
     */
    long[] resetCacheLevels(long brokenBelow) throws IOException {
        long l1 = perCoreCacheSize(1);
        if (l1 >= brokenBelow) {
            throw new IOException("oneDNN already sees an L1 of " + l1 + " bytes per core");
        }
        Pointer cpu = function(CPU_FUNCTION).invokePointer(new Object[0]);
        int levels = cpu.getInt(CACHE_LEVELS_OFFSET);
        if (levels != 3) {
            throw new IOException("unexpected oneDNN cache layout in " + library + " (levels field " + levels + ")");
        }
        cpu.setInt(CACHE_LEVELS_OFFSET, 0);
        long[] after = {perCoreCacheSize(1), perCoreCacheSize(2), perCoreCacheSize(3)};
        if (after[0] < brokenBelow) {
            cpu.setInt(CACHE_LEVELS_OFFSET, levels);
            throw new IOException("oneDNN still sees an L1 of " + after[0] + " bytes per core after the change");
        }
        return after;
    }

    /** ATen's {@code torch.backends.mkldnn.enabled = False}: its own convolution kernels, not oneDNN's. */
    void disableOneDnn() {
        NativeLibrary lib = NativeLibrary.getInstance(library.toString());
        Pointer context = lib.getFunction("_ZN2at13globalContextEv").invokePointer(new Object[0]);
        lib.getFunction("_ZN2at7Context20setUserEnabledMkldnnEb").invokeVoid(new Object[] {context, (byte) 0});
    }

    private Function function(String symbol) throws IOException {
        Long address = addresses.get(symbol);
        if (address == null) {
            throw new IOException(library + " has no symbol " + symbol);
        }
        return Function.getFunction(new Pointer(address));
    }
}
