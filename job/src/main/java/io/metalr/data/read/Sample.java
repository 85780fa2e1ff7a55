package io.metalr.data.read;

import io.metalr.udf.image.Image;

/**
 * One labelled image as a reader found it, before preprocessing.
 *
 * @param id a stable identifier naming where it came from (file path, "file.npz:train[17]",
 *     "volume.nii.gz:z=40:y=16:x=32"), used in error messages and for per-sample randomness
 * @param patientId the patient (or volume) it belongs to; null when unknown
 * @param split the data's own split ("train", "val", "test"); null when the data has none
 */
public record Sample(String id, Image image, int label, String patientId, String split) {}
