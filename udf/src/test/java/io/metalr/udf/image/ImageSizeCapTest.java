package io.metalr.udf.image;

import static io.metalr.udf.image.TestImages.gray8;
import static io.metalr.udf.image.TestImages.png;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/**
 * An image's declared size is checked against the pixel cap from its header, before ImageIO
 * allocates a raster for it: a small crafted PNG cannot make the decoder allocate gigabytes.
 */
class ImageSizeCapTest {

    private static final String SRC = "scans/big.png";

    /** A valid small PNG whose IHDR is rewritten (CRC fixed) to declare another size and format. */
    static byte[] declaring(int width, int height, int bitDepth, int colourType) {
        byte[] b = png(gray8(4, 3, new int[12]));
        ByteBuffer bb = ByteBuffer.wrap(b);
        bb.putInt(16, width).putInt(20, height).put(24, (byte) bitDepth).put(25, (byte) colourType);
        CRC32 crc = new CRC32();
        crc.update(b, 12, 17);
        bb.putInt(29, (int) crc.getValue());
        return b;
    }

    @Test
    void aSmallPngDeclaring26kBy26k16BitRgbaIsRefusedNamingTheFile() {
        byte[] bomb = declaring(26_000, 26_000, 16, 6);
        assertTrue(bomb.length < 1000);
        BadRecordException e = assertThrows(BadRecordException.class, () -> ImageDecoder.decode(bomb, SRC));
        assertTrue(e.getMessage().startsWith(SRC + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("26000x26000") && e.getMessage().contains("16-bit RGBA")
                && e.getMessage().contains("data.max_image_pixels"), e.getMessage());
    }

    @Test
    void theRefusalComesBeforeAnyRasterIsAllocated() {
        // 12000 x 12000 gray: under the old fixed limit, over the default cap of 100 megapixels; the
        // old decoder allocated its 144 MB raster and only then found the data missing
        byte[] b = declaring(12_000, 12_000, 8, 0);
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        BadRecordException e = assertThrows(BadRecordException.class, () -> ImageDecoder.decode(b, SRC));
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(e.getMessage().contains("data.max_image_pixels"), e.getMessage());
        assertTrue(allocated < 32L << 20, "allocated " + allocated + " bytes to refuse it");
    }

    @Test
    void theCapIsTheCallersChoice() {
        byte[] b = png(gray8(20, 10, new int[200]));
        assertEquals(200, ImageDecoder.decode(b, SRC, 200).data().length);
        BadRecordException e = assertThrows(BadRecordException.class, () -> ImageDecoder.decode(b, SRC, 199));
        assertTrue(e.getMessage().contains("20x10") && e.getMessage().contains("199"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ImageDecoder.decode(b, SRC, 0));
    }
}
