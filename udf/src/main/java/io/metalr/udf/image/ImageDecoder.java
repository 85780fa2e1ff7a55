package io.metalr.udf.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes PNG and JPEG bytes into an {@link Image} of floats in [0, 1], through the JDK's
 * {@code javax.imageio} (no native or third-party codec to ship to executors).
 *
 * <p>Channels and scaling, chosen so that no precision is lost and no colour is invented:
 *
 * <ul>
 *   <li>grayscale (any bit depth, including 16-bit PNGs of CT/MR) &rarr; 1 channel, raw sample /
 *       (2<sup>bits</sup> &minus; 1), i.e. /255 for 8-bit and /65535 for 16-bit;
 *   <li>gray + alpha &rarr; 1 channel, the gray sample (alpha dropped);
 *   <li>RGB and RGBA, 8- or 16-bit &rarr; 3 channels, each raw sample / (2<sup>bits</sup> &minus; 1)
 *       (alpha dropped, colours not premultiplied);
 *   <li>palette &rarr; 3 channels from the palette's RGB /255, or 1 channel when every palette entry
 *       is gray (1-, 2- and 4-bit grayscale PNGs are read as such palettes);
 *   <li>anything else ImageIO can read (another colour space, premultiplied alpha) &rarr; 3 channels
 *       from {@link BufferedImage#getRGB}, /255.
 * </ul>
 *
 * <p>Samples are read from the raster, not through {@code getRGB}, which would squeeze 16-bit
 * samples into 8 bits and apply colour-space conversions that a model trained on raw pixels
 * (PIL, torchvision) never saw.
 *
 * <p>Anything that is not a complete, valid PNG or JPEG is a {@link BadRecordException} whose
 * message starts with {@code source}. ImageIO alone is not enough for that: a PNG cut inside its
 * last chunks and a truncated JPEG both decode "successfully" into a partly blank image. So PNGs are
 * first walked chunk by chunk (every chunk complete, every CRC right, {@code IEND} present), and any
 * warning the reader reports (libjpeg's "premature end of data", "missing EOI") rejects the image.
 *
 * <p>Thread-safe: every call uses its own {@link ImageReader}.
 */
public final class ImageDecoder {

    /** Largest {@code width * height} any cap may allow: keeps 3 float channels inside one Java array. */
    public static final long MAX_PIXELS = (Integer.MAX_VALUE - 8) / 3;

    /**
     * The default cap on {@code width * height} ({@code data.max_image_pixels}): 100 megapixels.
     * Decoding takes about {@code width * height * (bytes per stored pixel + 4 * channels)} bytes of
     * heap, so a 16-bit RGBA image at the cap needs some 2 GB.
     */
    public static final long DEFAULT_MAX_PIXELS = 100_000_000L;

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    private ImageDecoder() {}

    /** Decodes one PNG or JPEG of at most {@link #DEFAULT_MAX_PIXELS} pixels. */
    public static Image decode(byte[] bytes, String source) {
        return decode(bytes, source, DEFAULT_MAX_PIXELS);
    }

    /**
     * Decodes one PNG or JPEG into floats: {@code decodeRaw(bytes, source, maxPixels).toImage()}.
     *
     * @return values in C,Y,X order, scaled to [0, 1]
     * @throws BadRecordException as {@link #decodeRaw}
     */
    public static Image decode(byte[] bytes, String source, long maxPixels) {
        return decodeRaw(bytes, source, maxPixels).toImage();
    }

    /**
     * Decodes one PNG or JPEG to its codes, without scaling them to floats. Its size is read from its header first (IHDR, SOF): an image
     * declaring more than {@code maxPixels} pixels is refused before anything is allocated for it,
     * so a small crafted file cannot make the decoder allocate gigabytes.
     *
     * @param bytes the encoded image
     * @param source names the image in error messages (a file path, "part-3.parquet row 17", ...)
     * @param maxPixels the largest {@code width * height} accepted ({@code data.max_image_pixels})
     * @return codes in C,Y,X order at the source depth ({@link RawImage#toImage()} scales them to [0, 1])
     * @throws BadRecordException if the bytes are null, empty, not PNG/JPEG, corrupt, truncated or
     *     declare more than {@code maxPixels} pixels
     */
    public static RawImage decodeRaw(byte[] bytes, String source, long maxPixels) {
        if (maxPixels < 1 || maxPixels > MAX_PIXELS) {
            throw new IllegalArgumentException("maxPixels must be in 1.." + MAX_PIXELS + ", got " + maxPixels);
        }
        if (bytes == null || bytes.length == 0) {
            throw bad(source, "no image bytes (" + (bytes == null ? "null" : "empty") + ")");
        }
        String format;
        if (startsWith(bytes, PNG_SIGNATURE)) {
            format = "png";
            checkPngStructure(bytes, source);
        } else if (bytes.length >= 3 && (bytes[0] & 0xFF) == 0xFF && (bytes[1] & 0xFF) == 0xD8
                && (bytes[2] & 0xFF) == 0xFF) {
            format = "jpeg";
        } else {
            // Formats are recognised by their signatures, not by ImageIO probing: its WBMP reader
            // accepts many arbitrary byte strings as images.
            throw bad(source, "not a PNG or JPEG image (" + bytes.length + " bytes starting with "
                    + hexPrefix(bytes) + ")");
        }
        BufferedImage img = read(bytes, format, source, maxPixels);
        try {
            return toRaw(img);
        } catch (RuntimeException e) {
            throw bad(source, "cannot convert decoded " + format + " (" + describe(img) + "): " + e, e);
        }
    }

    /** Reads the first image with a fresh reader, failing on errors and on warnings alike. */
    private static BufferedImage read(byte[] bytes, String format, String source, long maxPixels) {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format);
        if (!readers.hasNext()) {
            throw bad(source, "this JVM has no ImageIO reader for " + format);
        }
        ImageReader reader = readers.next();
        List<String> warnings = new ArrayList<>();
        reader.addIIOReadWarningListener((r, warning) -> warnings.add(warning));
        // A memory-cached stream: ImageIO.createImageInputStream may spill to temp files.
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            reader.setInput(in, true, true);
            // the header only: ImageIO allocates the whole raster before it decodes a single row
            long w = reader.getWidth(0);
            long h = reader.getHeight(0);
            if (w < 1 || h < 1 || w * h > maxPixels) {
                throw bad(source, format + " declares " + w + "x" + h + " pixels" + depth(bytes, format)
                        + ", over the cap of " + maxPixels + " (data.max_image_pixels)");
            }
            BufferedImage img = reader.read(0);
            if (!warnings.isEmpty()) {
                // libjpeg fills what it could not read with gray and only warns: treat as corrupt.
                throw bad(source, "corrupt or truncated " + format + " (" + bytes.length + " bytes): "
                        + String.join("; ", warnings));
            }
            return img;
        } catch (BadRecordException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // Readers signal bad data with IIOException but also with unchecked exceptions.
            throw bad(source, "cannot decode " + format + " (" + bytes.length + " bytes): " + e, e);
        } finally {
            reader.dispose();
        }
    }

    /**
     * Walks the PNG chunk list: every chunk must fit in the bytes, carry a correct CRC, and the list
     * must end with {@code IEND}. Bytes after {@code IEND} are ignored, as every decoder does.
     */
    private static void checkPngStructure(byte[] b, String source) {
        CRC32 crc = new CRC32();
        int pos = PNG_SIGNATURE.length;
        boolean sawIdat = false;
        while (true) {
            if (b.length - pos < 12) {
                throw bad(source, "truncated PNG (" + b.length + " bytes): no complete chunk at offset " + pos
                        + (sawIdat ? ", IEND missing" : ""));
            }
            long length = readUint32(b, pos);
            String type = new String(b, pos + 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
            if (length > b.length - pos - 12L) {
                throw bad(source, "truncated PNG (" + b.length + " bytes): chunk " + type + " at offset " + pos
                        + " declares " + length + " data bytes but only " + Math.max(0, b.length - pos - 12)
                        + " remain");
            }
            int dataEnd = pos + 8 + (int) length;
            crc.reset();
            crc.update(b, pos + 4, 4 + (int) length);
            if (crc.getValue() != readUint32(b, dataEnd)) {
                throw bad(source, "corrupt PNG: CRC mismatch in chunk " + type + " at offset " + pos);
            }
            sawIdat |= type.equals("IDAT");
            if (type.equals("IEND")) {
                return;
            }
            pos = dataEnd + 4;
        }
    }

    /** Copies raw raster samples into C,Y,X codes; see the class comment for the rules. */
    static RawImage toRaw(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        ColorModel cm = img.getColorModel();
        Raster raster = img.getRaster();
        int csType = cm.getColorSpace().getType();
        if (cm instanceof IndexColorModel icm) {
            return fromPalette(icm, raster, w, h);
        }
        if (!cm.isAlphaPremultiplied() && csType == ColorSpace.TYPE_GRAY) {
            return fromBands(raster, cm, 1, w, h);
        }
        if (!cm.isAlphaPremultiplied() && csType == ColorSpace.TYPE_RGB && cm.getNumColorComponents() == 3) {
            return fromBands(raster, cm, 3, w, h);
        }
        return fromArgb(img, w, h);
    }

    /**
     * Bands 0..channels-1 of the raster (the colour components, in colour-space order): 8-bit and
     * 16-bit samples as codes, other depths (rare: 2-, 4- or 12-bit components) as floats.
     */
    private static RawImage fromBands(Raster raster, ColorModel cm, int channels, int w, int h) {
        int bits = cm.getComponentSize(0);
        for (int c = 1; c < channels; c++) {
            if (cm.getComponentSize(c) != bits) {
                bits = -1;
            }
        }
        int plane = w * h;
        int[] row = new int[w];
        if (bits == 8 || bits == 16) {
            byte[] b = bits == 8 ? new byte[channels * plane] : null;
            short[] s = bits == 16 ? new short[channels * plane] : null;
            for (int c = 0; c < channels; c++) {
                for (int y = 0; y < h; y++) {
                    raster.getSamples(0, y, w, 1, c, row);
                    int o = c * plane + y * w;
                    for (int x = 0; x < w; x++) {
                        if (b != null) {
                            b[o + x] = (byte) row[x];
                        } else {
                            s[o + x] = (short) row[x];
                        }
                    }
                }
            }
            return b != null ? RawImage.u8(b, channels, h, w) : RawImage.u16(s, channels, h, w);
        }
        float[] data = new float[channels * plane];
        for (int c = 0; c < channels; c++) {
            // Divide (not multiply by a reciprocal) so that v / 65535 is the correctly rounded float.
            float max = (float) ((1L << cm.getComponentSize(c)) - 1);
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, c, row);
                int o = c * plane + y * w;
                for (int x = 0; x < w; x++) {
                    data[o + x] = row[x] / max;
                }
            }
        }
        return RawImage.f32(data, channels, h, w);
    }

    /** Palette indices looked up in the palette (8-bit entries); gray-only palettes give one channel. */
    private static RawImage fromPalette(IndexColorModel icm, Raster raster, int w, int h) {
        int n = icm.getMapSize();
        boolean gray = true;
        for (int i = 0; i < n && gray; i++) {
            gray = icm.getRed(i) == icm.getGreen(i) && icm.getGreen(i) == icm.getBlue(i);
        }
        int channels = gray ? 1 : 3;
        int plane = w * h;
        byte[] data = new byte[channels * plane];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            raster.getSamples(0, y, w, 1, 0, row);
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                int idx = row[x];
                data[i] = (byte) icm.getRed(idx);
                if (!gray) {
                    data[plane + i] = (byte) icm.getGreen(idx);
                    data[2 * plane + i] = (byte) icm.getBlue(idx);
                }
            }
        }
        return RawImage.u8(data, channels, h, w);
    }

    /** Last resort for unusual colour models: let Java2D convert to 8-bit sRGB. */
    private static RawImage fromArgb(BufferedImage img, int w, int h) {
        int plane = w * h;
        byte[] data = new byte[3 * plane];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            img.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                int argb = row[x];
                data[i] = (byte) (argb >>> 16);
                data[plane + i] = (byte) (argb >>> 8);
                data[2 * plane + i] = (byte) argb;
            }
        }
        return RawImage.u8(data, 3, h, w);
    }

    /** ", 16-bit RGBA" from a PNG's IHDR, for the message; "" when not a PNG. */
    private static String depth(byte[] b, String format) {
        if (!format.equals("png") || b.length < 26) {
            return "";
        }
        String[] types = {"gray", "?", "RGB", "palette", "gray+alpha", "?", "RGBA"};
        int type = b[25] & 0xFF;
        return ", " + (b[24] & 0xFF) + "-bit " + (type < types.length ? types[type] : "type " + type);
    }

    private static String describe(BufferedImage img) {
        ColorModel cm = img.getColorModel();
        return img.getWidth() + "x" + img.getHeight() + ", " + cm.getClass().getSimpleName() + ", "
                + img.getRaster().getNumBands() + " bands";
    }

    private static boolean startsWith(byte[] b, byte[] prefix) {
        if (b.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (b[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static long readUint32(byte[] b, int pos) {
        return ((b[pos] & 0xFFL) << 24) | ((b[pos + 1] & 0xFFL) << 16) | ((b[pos + 2] & 0xFFL) << 8)
                | (b[pos + 3] & 0xFFL);
    }

    private static String hexPrefix(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(8, b.length); i++) {
            sb.append(String.format("%02x", b[i] & 0xFF));
        }
        return sb.toString();
    }

    private static BadRecordException bad(String source, String reason) {
        return new BadRecordException(source + ": " + reason);
    }

    private static BadRecordException bad(String source, String reason, Throwable cause) {
        return new BadRecordException(source + ": " + reason, cause);
    }
}
