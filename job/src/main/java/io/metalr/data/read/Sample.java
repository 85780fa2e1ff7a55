package io.metalr.data.read;

import io.metalr.udf.image.Image;
import io.metalr.udf.image.RawImage;

/**
 * One labelled image as a reader found it, before preprocessing: at its source depth (8- and
 * 16-bit codes from the image decoder, floats from readers that compute them), so a store can keep
 * the codes and scale them per batch.
 *
 * @param id a stable identifier naming where it came from (file path, "file.npz:train[17]",
 *     "volume.nii.gz:z=40:y=16:x=32"), used in error messages and for per-sample randomness
 * @param raw the image's codes or values
 * @param patientId the patient (or volume) it belongs to; null when unknown
 * @param split the data's own split ("train", "val", "test"); null when the data has none
 */
public record Sample(String id, RawImage raw, int label, String patientId, String split) {

    /** A sample of float values. */
    public Sample(String id, Image image, int label, String patientId, String split) {
        this(id, RawImage.of(image), label, patientId, split);
    }

    /** The image as floats (a new array each call; bitwise what the reader decoded). */
    public Image image() {
        return raw.toImage();
    }
}
