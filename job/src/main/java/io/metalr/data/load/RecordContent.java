package io.metalr.data.load;

import io.metalr.data.read.TableReader;
import io.metalr.data.records.TableSource;
import io.metalr.udf.image.BadRecordException;
import io.metalr.udf.image.ImageDecoder;
import io.metalr.udf.image.RawImage;

import java.io.Serializable;

import org.apache.spark.sql.Row;

/**
 * One record on its way to its store: PNG/JPEG bytes still encoded (smaller than their pixels,
 * so they travel encoded and are decoded where the store is built), or float pixels already
 * checked, or the message of why the record is bad.
 */
record RecordContent(long rid, int label, byte[] encoded, float[] pixels, int channels, int height, int width,
        String bad) implements Serializable {

    /** A row of {@link TableSource#content()}: rid, then the image bytes or pixels, channels, height, width. */
    static RecordContent of(Row r, int label, TableSource source) {
        long rid = r.getLong(0);
        if (source.columns().bytes()) {
            return new RecordContent(rid, label, r.isNullAt(1) ? null : (byte[]) r.get(1), null, 0, 0, 0, null);
        }
        String where = source.where(rid);
        try {
            if (r.isNullAt(1) || r.isNullAt(2) || r.isNullAt(3) || r.isNullAt(4)) {
                throw new BadRecordException(where + ": null pixels, channels, height or width");
            }
            long c = r.getLong(2);
            long h = r.getLong(3);
            long w = r.getLong(4);
            float[] px = TableReader.pixelArray(r.getList(1), c, h, w, where);
            return new RecordContent(rid, label, null, px, (int) c, (int) h, (int) w, null);
        } catch (BadRecordException e) {
            return new RecordContent(rid, label, null, null, 0, 0, 0, e.getMessage());
        }
    }

    /** Its image at source depth (codes for 8/16-bit PNG and JPEG); a bad record throws, naming the row. */
    RawImage decode(TableSource source, long maxPixels) {
        if (bad != null) {
            throw new BadRecordException(bad);
        }
        if (pixels != null) {
            return RawImage.f32(pixels, channels, height, width);
        }
        String where = source.where(rid);
        try {
            return ImageDecoder.decodeRaw(encoded, where, maxPixels);
        } catch (BadRecordException e) {
            throw e.getMessage() != null && e.getMessage().contains(where) ? e
                    : new BadRecordException(where + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new BadRecordException(where + ": not a readable image: " + e, e);
        }
    }
}
