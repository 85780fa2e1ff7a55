package io.metalr.udf.image;

import static io.metalr.udf.image.TestImages.gray16;
import static io.metalr.udf.image.TestImages.gray8;
import static io.metalr.udf.image.TestImages.grayAlpha8;
import static io.metalr.udf.image.TestImages.jpeg;
import static io.metalr.udf.image.TestImages.noiseRgb;
import static io.metalr.udf.image.TestImages.palette;
import static io.metalr.udf.image.TestImages.png;
import static io.metalr.udf.image.TestImages.rgb16;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * {@link RawImage#toImage()} of {@link ImageDecoder#decodeRaw} is bitwise the float image the
 * decoder computed before it kept codes, on every path it has. The reference ({@link #legacy}) is
 * that float conversion, copied here verbatim, run on ImageIO's own decode of the same bytes.
 */
class RawImageTest {

    /** One image per decoder path, encoded. */
    private static Map<String, byte[]> everyKind() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        Random rnd = new Random(3);
        int[] g = new int[35];
        int[] g16 = new int[35];
        for (int i = 0; i < g.length; i++) {
            g[i] = rnd.nextInt(256);
            g16[i] = rnd.nextInt(65536);
        }
        int[] full8 = new int[256];
        int[] full16 = new int[65536];
        for (int i = 0; i < full16.length; i++) {
            full16[i] = i;
            if (i < 256) {
                full8[i] = i;
            }
        }
        m.put("gray8", png(gray8(7, 5, g)));
        m.put("gray8 every code", png(gray8(16, 16, full8)));
        m.put("gray16", png(gray16(7, 5, g16)));
        m.put("gray16 every code", png(gray16(256, 256, full16)));
        m.put("rgb8", png(noiseRgb(6, 5, 1)));
        BufferedImage argb = new BufferedImage(3, 1, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(0, 0, 0xFF0A141E);
        argb.setRGB(1, 0, 0x800A141E);
        argb.setRGB(2, 0, 0x00C86432);
        m.put("rgba8", png(argb));
        m.put("rgb16", png(rgb16(2, 2, new int[] {0, 65535, 3, 9}, new int[] {1, 40000, 7, 8},
                new int[] {65534, 256, 5, 4})));
        m.put("palette rgb", png(palette(4, 1, new int[] {0xFF0000, 0x00FF00, 0x0000FF, 0x808080}, 3, 2, 1, 0)));
        m.put("palette gray", png(palette(3, 1, new int[] {0x000000, 0x404040, 0xFFFFFF}, 2, 0, 1)));
        BufferedImage bw = new BufferedImage(9, 1, BufferedImage.TYPE_BYTE_BINARY);
        bw.getRaster().setSamples(0, 0, 9, 1, 0, new int[] {1, 0, 1, 1, 0, 0, 0, 1, 1});
        m.put("1-bit", png(bw));
        m.put("gray+alpha", png(grayAlpha8(2, 1, new int[] {7, 250}, new int[] {0, 255})));
        m.put("jpeg gray", jpeg(gray8(7, 5, g), 0.9f));
        m.put("jpeg rgb", jpeg(noiseRgb(16, 8, 2), 0.8f));
        return m;
    }

    @Test
    void decodedCodesGiveBitwiseTheDecodersFloats() {
        for (Map.Entry<String, byte[]> e : everyKind().entrySet()) {
            Image want = legacy(imageIo(e.getValue()));
            RawImage raw = ImageDecoder.decodeRaw(e.getValue(), e.getKey(), ImageDecoder.DEFAULT_MAX_PIXELS);
            assertBitwise(want, raw.toImage(), e.getKey());
            assertBitwise(want, ImageDecoder.decode(e.getValue(), e.getKey()), e.getKey() + " via decode");
        }
    }

    @Test
    void eightAndSixteenBitSourcesAreKeptAsCodes() {
        Map<String, byte[]> kinds = everyKind();
        Map<String, RawImage.Depth> want = Map.of("gray8", RawImage.Depth.U8, "gray16", RawImage.Depth.U16,
                "rgb8", RawImage.Depth.U8, "rgb16", RawImage.Depth.U16, "palette rgb", RawImage.Depth.U8,
                "1-bit", RawImage.Depth.U8, "jpeg rgb", RawImage.Depth.U8, "gray+alpha", RawImage.Depth.U8);
        for (Map.Entry<String, RawImage.Depth> e : want.entrySet()) {
            assertEquals(e.getValue(), ImageDecoder.decodeRaw(kinds.get(e.getKey()), e.getKey(), 1000_000).depth(),
                    e.getKey());
        }
    }

    @Test
    void unusualColourModelsAndDepthsAreBitwiseToo() {
        // premultiplied alpha goes through getRGB; 4-bit components are kept as floats
        BufferedImage pre = new BufferedImage(3, 2, BufferedImage.TYPE_INT_ARGB_PRE);
        Random rnd = new Random(5);
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 3; x++) {
                pre.setRGB(x, y, rnd.nextInt());
            }
        }
        ColorModel cm4 = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_GRAY), new int[] {4}, false,
                false, Transparency.OPAQUE, DataBuffer.TYPE_BYTE);
        WritableRaster r4 = cm4.createCompatibleWritableRaster(3, 1);
        r4.setSamples(0, 0, 3, 1, 0, new int[] {0, 9, 15});
        BufferedImage gray4 = new BufferedImage(cm4, r4, false, null);
        BufferedImage ushort565 = new BufferedImage(2, 2, BufferedImage.TYPE_USHORT_565_RGB);
        ushort565.setRGB(0, 0, 0xFF8040);
        ushort565.setRGB(1, 1, 0x123456);
        for (BufferedImage img : new BufferedImage[] {pre, gray4, ushort565}) {
            assertBitwise(legacy(img), ImageDecoder.toRaw(img).toImage(), img.toString());
        }
        assertEquals(RawImage.Depth.F32, ImageDecoder.toRaw(ushort565).depth());
        assertEquals(RawImage.Depth.F32, ImageDecoder.toRaw(gray4).depth());
        assertEquals(RawImage.Depth.U8, ImageDecoder.toRaw(pre).depth());
    }

    @Test
    void codesAreCheckedAgainstTheShape() {
        assertThrows(IllegalArgumentException.class, () -> RawImage.u8(new byte[5], 1, 2, 3));
        assertThrows(IllegalStateException.class, () -> RawImage.u8(new byte[6], 1, 2, 3).shorts());
        RawImage f = RawImage.f32(new float[] {Float.NaN, -0f, 2}, 1, 1, 3);
        assertBitwise(new Image(new float[] {Float.NaN, -0f, 2}, 1, 1, 3), f.toImage(), "f32");
    }

    @Test
    void numpyScaledCodesAreTheArrayReadersProductBitwise() {
        byte[] codes = new byte[256];
        for (int v = 0; v < 256; v++) {
            codes[v] = (byte) v;
        }
        float[] got = RawImage.u8Scaled(codes, 1, 16, 16).toImage().data();
        float[] divided = RawImage.u8(codes, 1, 16, 16).toImage().data();
        int differ = 0;
        for (int v = 0; v < 256; v++) {
            float want = v * (1f / 255f); // MedMnistReader's arithmetic, written out here
            assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got[v]), "code " + v);
            differ += Float.floatToRawIntBits(divided[v]) != Float.floatToRawIntBits(got[v]) ? 1 : 0;
        }
        assertTrue(differ > 0, "v * (1/255f) and v / 255f differ for some codes, so the two depths must stay apart");
        assertArrayEquals(codes, RawImage.u8Scaled(codes, 1, 16, 16).bytes());
    }

    private static void assertBitwise(Image want, Image got, String what) {
        assertEquals(want.channels(), got.channels(), what);
        assertEquals(want.height(), got.height(), what);
        assertEquals(want.width(), got.width(), what);
        float[] a = want.data();
        float[] b = got.data();
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                assertArrayEquals(a, b, what + ": value " + i);
            }
        }
    }

    private static BufferedImage imageIo(byte[] bytes) {
        try {
            return ImageIO.read(new ByteArrayInputStream(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- the decoder's float conversion as it was before codes (the reference) ----

    private static Image legacy(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        ColorModel cm = img.getColorModel();
        Raster raster = img.getRaster();
        int csType = cm.getColorSpace().getType();
        if (cm instanceof IndexColorModel icm) {
            return legacyPalette(icm, raster, w, h);
        }
        if (!cm.isAlphaPremultiplied() && csType == ColorSpace.TYPE_GRAY) {
            return legacyBands(raster, cm, 1, w, h);
        }
        if (!cm.isAlphaPremultiplied() && csType == ColorSpace.TYPE_RGB && cm.getNumColorComponents() == 3) {
            return legacyBands(raster, cm, 3, w, h);
        }
        return legacyArgb(img, w, h);
    }

    private static Image legacyBands(Raster raster, ColorModel cm, int channels, int w, int h) {
        int plane = w * h;
        float[] data = new float[channels * plane];
        int[] row = new int[w];
        for (int c = 0; c < channels; c++) {
            float max = (float) ((1L << cm.getComponentSize(c)) - 1);
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, c, row);
                int o = c * plane + y * w;
                for (int x = 0; x < w; x++) {
                    data[o + x] = row[x] / max;
                }
            }
        }
        return new Image(data, channels, h, w);
    }

    private static Image legacyPalette(IndexColorModel icm, Raster raster, int w, int h) {
        int n = icm.getMapSize();
        boolean gray = true;
        for (int i = 0; i < n && gray; i++) {
            gray = icm.getRed(i) == icm.getGreen(i) && icm.getGreen(i) == icm.getBlue(i);
        }
        int channels = gray ? 1 : 3;
        int plane = w * h;
        float[] data = new float[channels * plane];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            raster.getSamples(0, y, w, 1, 0, row);
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                int idx = row[x];
                data[i] = icm.getRed(idx) / 255f;
                if (!gray) {
                    data[plane + i] = icm.getGreen(idx) / 255f;
                    data[2 * plane + i] = icm.getBlue(idx) / 255f;
                }
            }
        }
        return new Image(data, channels, h, w);
    }

    private static Image legacyArgb(BufferedImage img, int w, int h) {
        int plane = w * h;
        float[] data = new float[3 * plane];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            img.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                int argb = row[x];
                data[i] = ((argb >>> 16) & 0xFF) / 255f;
                data[plane + i] = ((argb >>> 8) & 0xFF) / 255f;
                data[2 * plane + i] = (argb & 0xFF) / 255f;
            }
        }
        return new Image(data, 3, h, w);
    }
}
