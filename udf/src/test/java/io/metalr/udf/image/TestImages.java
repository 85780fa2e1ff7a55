package io.metalr.udf.image;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Random;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/** Builds test images in memory and encodes them with ImageIO, so no binary fixtures are needed. */
public final class TestImages {

    private TestImages() {}

    public static byte[] encode(BufferedImage img, String format) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            if (!ImageIO.write(img, format, out)) {
                throw new IllegalStateException("no " + format + " writer for image type " + img.getType());
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] png(BufferedImage img) {
        return encode(img, "png");
    }

    /** JPEG at the given quality (1.0 = best), to keep the lossy error small and predictable. */
    public static byte[] jpeg(BufferedImage img, float quality) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream s = new MemoryCacheImageOutputStream(out)) {
            ImageWriteParam p = writer.getDefaultWriteParam();
            p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(quality);
            writer.setOutput(s);
            writer.write(null, new IIOImage(img, null, null), p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    /** 8-bit gray with the given samples, row by row. */
    public static BufferedImage gray8(int width, int height, int... samples) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setSamples(0, 0, width, height, 0, samples);
        return img;
    }

    /** 16-bit gray (TYPE_USHORT_GRAY, as CT/MR slices are stored) with the given samples. */
    public static BufferedImage gray16(int width, int height, int... samples) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_USHORT_GRAY);
        img.getRaster().setSamples(0, 0, width, height, 0, samples);
        return img;
    }

    /** A custom-type image: one colour model, samples band by band ({@code bands[b][y*w+x]}). */
    public static BufferedImage custom(ColorSpace cs, boolean alpha, int dataType, int width, int height,
            int[]... bands) {
        ColorModel cm = new ComponentColorModel(cs, alpha, false,
                alpha ? Transparency.TRANSLUCENT : Transparency.OPAQUE, dataType);
        WritableRaster raster = cm.createCompatibleWritableRaster(width, height);
        for (int b = 0; b < bands.length; b++) {
            raster.setSamples(0, 0, width, height, b, bands[b]);
        }
        return new BufferedImage(cm, raster, false, null);
    }

    public static BufferedImage grayAlpha8(int width, int height, int[] gray, int[] alpha) {
        return custom(ColorSpace.getInstance(ColorSpace.CS_GRAY), true, DataBuffer.TYPE_BYTE, width, height,
                gray, alpha);
    }

    public static BufferedImage rgb16(int width, int height, int[] r, int[] g, int[] b) {
        return custom(ColorSpace.getInstance(ColorSpace.CS_sRGB), false, DataBuffer.TYPE_USHORT, width, height,
                r, g, b);
    }

    /** An 8-bit palette image with the given palette (0xRRGGBB) and indices. */
    public static BufferedImage palette(int width, int height, int[] rgbPalette, int... indices) {
        int n = rgbPalette.length;
        byte[] r = new byte[n];
        byte[] g = new byte[n];
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            r[i] = (byte) (rgbPalette[i] >> 16);
            g[i] = (byte) (rgbPalette[i] >> 8);
            b[i] = (byte) rgbPalette[i];
        }
        IndexColorModel icm = new IndexColorModel(8, n, r, g, b);
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_INDEXED, icm);
        img.getRaster().setSamples(0, 0, width, height, 0, indices);
        return img;
    }

    /** Random 8-bit RGB noise: compresses badly, so the encoded bytes are long and truncation bites. */
    public static BufferedImage noiseRgb(int width, int height, long seed) {
        Random rnd = new Random(seed);
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                img.setRGB(x, y, rnd.nextInt() & 0xFFFFFF);
            }
        }
        return img;
    }

    /** A random C,H,W image with values in [lo, hi). */
    public static Image random(int channels, int height, int width, long seed, float lo, float hi) {
        Random rnd = new Random(seed);
        float[] d = new float[channels * height * width];
        for (int i = 0; i < d.length; i++) {
            d[i] = lo + (hi - lo) * rnd.nextFloat();
        }
        return new Image(d, channels, height, width);
    }
}
