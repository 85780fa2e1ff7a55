package io.metalr.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The symbol lookup, against the libtorch this test JVM loads (whatever the CPU). */
class ElfSymbolsTest {

    @Test
    void findsOneDnnsPrivateFunctionsInLibtorchsFullSymbolTable() throws IOException {
        ai.djl.engine.Engine.getInstance();
        LibtorchNative lib = LibtorchNative.loaded();
        Map<String, Long> found = ElfSymbols.find(lib.library(),
                Set.of(LibtorchNative.CPU_FUNCTION, LibtorchNative.CACHE_SIZE_FUNCTION, "no_such_symbol_anywhere"));
        assertEquals(Set.of(LibtorchNative.CPU_FUNCTION, LibtorchNative.CACHE_SIZE_FUNCTION), found.keySet());
        // calling the function found by name gives oneDNN's real view: some bytes per core
        long l2 = lib.perCoreCacheSize(2);
        assertTrue(l2 > 0 && l2 < (1L << 32), "L2 per core " + l2);
    }

    @Test
    void refusesWhatIsNotElf(@TempDir Path tmp) throws IOException {
        Path f = Files.write(tmp.resolve("x.so"), new byte[128]);
        IOException e = assertThrows(IOException.class, () -> ElfSymbols.find(f, Set.of("a")));
        assertTrue(e.getMessage().contains("not a 64-bit little-endian ELF"), e.getMessage());
    }
}
