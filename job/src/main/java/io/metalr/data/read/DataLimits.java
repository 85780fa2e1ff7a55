package io.metalr.data.read;

import io.metalr.formats.BoundedZip;
import io.metalr.udf.image.ImageDecoder;

/**
 * How much one untrusted data file may make a reader hold, so that a small crafted file (a gzip or
 * zip bomb, a header declaring a huge size, a PNG declaring 26k x 26k pixels) is refused as a
 * {@link io.metalr.udf.image.BadRecordException} naming it instead of ending the JVM in an
 * {@link OutOfMemoryError}.
 *
 * @param maxImagePixels the largest width x height of one PNG/JPEG, checked from its header before
 *     it is decoded ({@code data.max_image_pixels})
 * @param maxFileBytes the most bytes one data file may hold once decompressed: a whole {@code .npz},
 *     IDX or NIfTI file, a manifest, an image file, one inflated zip entry
 *     ({@code data.max_file_bytes})
 */
public record DataLimits(long maxImagePixels, long maxFileBytes) {

    /** The largest Java byte array. */
    public static final long MAX_ARRAY = BoundedZip.MAX_ARRAY;

    /** The defaults of {@code conf/reference.conf}. */
    public static final DataLimits DEFAULTS = new DataLimits(ImageDecoder.DEFAULT_MAX_PIXELS, 1L << 30);

    public DataLimits {
        if (maxImagePixels < 1 || maxImagePixels > ImageDecoder.MAX_PIXELS) {
            throw new IllegalArgumentException("data.max_image_pixels must be in 1.." + ImageDecoder.MAX_PIXELS
                    + ", got " + maxImagePixels);
        }
        if (maxFileBytes < 1 || maxFileBytes > MAX_ARRAY) {
            throw new IllegalArgumentException("data.max_file_bytes must be in 1.." + MAX_ARRAY + " bytes, got "
                    + maxFileBytes);
        }
    }
}
