package io.metalr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A corrupt {@code model.pretrained} is bad input, exit code 3, so a scheduler does not retry
 * it as if the cluster had failed (5); the message names the file and is never "null".
 */
class BadPretrainedExitCodeTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"truncated-pickle.pt", "not-a-zip.pt", "stored-size-lies.pt", "offsets-past-the-end.safetensors",
            "huge-rank.ndlist", "unknown-format.h5"})
    void corruptPretrainedWeightsExitWithBadData(String name) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, content(name));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream original = System.err;
        int code;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            code = Main.execute("train", "--set", "device=cpu", "--set", "model.name=reference_cnn",
                    "--set", "strategy=full", "--set", "model.pretrained=" + file,
                    "--set", "data.synthetic.classes=3", "--set", "data.synthetic.size=12",
                    "--set", "train.epochs=1", "--set", "train.log_every=0");
        } finally {
            System.setErr(original);
        }
        String printed = err.toString(StandardCharsets.UTF_8);
        assertEquals(ExitCodes.BAD_DATA, code, printed);
        assertTrue(printed.contains(file.toString()), "names the file: " + printed);
        assertFalse(printed.contains("metalr: null"), printed);
    }

    private static byte[] content(String name) throws IOException {
        return switch (name) {
            // PROTO 2, SETITEM on an empty stack, STOP: "stack underflow"
            case "truncated-pickle.pt" -> zip("a/data.pkl", new byte[] {(byte) 0x80, 2, 's', '.'}, -1);
            case "not-a-zip.pt", "unknown-format.h5" -> "not weights\n".repeat(20).getBytes(StandardCharsets.UTF_8);
            // a stored data.pkl whose directory claims 4 GB
            case "stored-size-lies.pt" -> zip("a/data.pkl", new byte[] {(byte) 0x80, 2, '}', '.'}, 0xfffffffeL);
            case "offsets-past-the-end.safetensors" -> {
                byte[] h = "{\"conv1.weight\":{\"dtype\":\"F32\",\"shape\":[4,1,3,3],\"data_offsets\":[0,144]}}"
                        .getBytes(StandardCharsets.UTF_8);
                yield ByteBuffer.allocate(8 + h.length + 16).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).array();
            }
            // count 1, "NDAR", version 3, named w, DENSE, FLOAT32, rank 2^31-1
            case "huge-rank.ndlist" -> ByteBuffer.allocate(64).putInt(1).putShort((short) 4).put("NDAR".getBytes(StandardCharsets.US_ASCII))
                    .putInt(3).put((byte) 1).putShort((short) 1).put((byte) 'w')
                    .putShort((short) 5).put("DENSE".getBytes(StandardCharsets.US_ASCII))
                    .putShort((short) 7).put("FLOAT32".getBytes(StandardCharsets.US_ASCII))
                    .putInt(Integer.MAX_VALUE).array();
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** A zip of one stored entry; {@code declared >= 0} overwrites the size fields of its central directory entry. */
    private static byte[] zip(String entry, byte[] data, long declared) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            ZipEntry e = new ZipEntry(entry);
            CRC32 crc = new CRC32();
            crc.update(data);
            e.setMethod(ZipEntry.STORED);
            e.setSize(data.length);
            e.setCompressedSize(data.length);
            e.setCrc(crc.getValue());
            zip.putNextEntry(e);
            zip.write(data);
            zip.closeEntry();
        }
        byte[] bytes = out.toByteArray();
        if (declared >= 0) {
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            for (int p = bytes.length - 4; p >= 0; p--) {
                if (b.getInt(p) == 0x02014b50) { // the central directory entry
                    b.putInt(p + 20, (int) declared).putInt(p + 24, (int) declared);
                    break;
                }
            }
        }
        return bytes;
    }
}
