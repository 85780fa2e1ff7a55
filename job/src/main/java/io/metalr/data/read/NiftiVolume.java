package io.metalr.data.read;

import io.metalr.udf.image.BadRecordException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import org.apache.hadoop.conf.Configuration;

/**
 * A 3D NIfTI-1 volume ({@code .nii} or {@code .nii.gz}, single file, either byte order) as floats,
 * x fastest: voxel (x, y, z) is {@code data[(z * ny + y) * nx + x]}.
 *
 * <p>Header: 348 bytes; the byte order is the one in which {@code sizeof_hdr} reads 348. Datatypes
 * uint8, int8, int16, uint16, int32, float32, float64; {@code scl_slope}/{@code scl_inter} applied
 * when the slope is non-zero (and finite); voxels start at {@code vox_offset}. {@code dim[0]} must
 * be 3, or 4 or more with every dimension past the third equal to 1. A bad header, a two-file
 * ({@code ni1}) or Analyze header, voxel data cut short, an unsupported datatype, or a file holding
 * more than its header declares is a {@link BadRecordException} naming the file.
 *
 * @param source the file's name, for messages and sample ids
 * @param affine voxel to world (mm) as a row-major 3x4 matrix, from the sform when its code is set,
 *     else the qform when its code is set, else null
 */
public record NiftiVolume(String source, int nx, int ny, int nz, float[] pixdim, float[] data, double[] affine) {

    public static final int HEADER_SIZE = 348;

    /** NIfTI datatype codes this reader takes. */
    public static final int DT_UINT8 = 2;
    public static final int DT_INT16 = 4;
    public static final int DT_INT32 = 8;
    public static final int DT_FLOAT32 = 16;
    public static final int DT_FLOAT64 = 64;
    public static final int DT_INT8 = 256;
    public static final int DT_UINT16 = 512;

    public NiftiVolume {
        if ((long) nx * ny * nz != data.length) {
            throw new IllegalArgumentException(source + ": " + nx + "x" + ny + "x" + nz + " cannot hold " + data.length);
        }
    }

    /** Reads a volume through {@link DataPaths} ({@code .gz} gunzipped). */
    public static NiftiVolume read(String path) throws IOException {
        return read(path, DataLimits.DEFAULTS.maxFileBytes(), DataPaths.configuration());
    }

    public static NiftiVolume read(String path, Configuration conf) throws IOException {
        return read(path, DataLimits.DEFAULTS.maxFileBytes(), conf);
    }

    /**
     * Reads a volume, holding at most {@code maxBytes} (decompressed) and no more than its header
     * declares (vox_offset + voxels x bytes per voxel, plus a little slack): a {@code .nii.gz} that
     * unpacks to more is refused, naming the file, before the excess is held.
     */
    public static NiftiVolume read(String path, long maxBytes, Configuration conf) throws IOException {
        String name = DataPaths.name(path);
        boolean[] cut = {false};
        byte[] bytes = DataPaths.readData(path, maxBytes, HEADER_SIZE, h -> Header.of(h, name).fileSize(), cut, conf);
        if (cut[0]) {
            throw new BadRecordException(name + ": truncated or corrupt gzip data (" + bytes.length
                    + " bytes could be unpacked)");
        }
        return parse(bytes, name);
    }

    /** What the 348-byte header says, checked before anything is allocated by it. */
    private record Header(ByteOrder order, int nx, int ny, int nz, int datatype, int bytesPer, long voxOffset,
            float slope, float inter) {

        /** Bytes the file needs: up to the first voxel, then every voxel. */
        long fileSize() {
            return voxOffset + (long) nx * ny * nz * bytesPer;
        }

        static Header of(byte[] bytes, String source) {
            if (bytes.length < HEADER_SIZE) {
                throw new BadRecordException(source + ": truncated NIfTI file (" + bytes.length
                        + " bytes, the header alone is 348)");
            }
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            if (b.getInt(0) != HEADER_SIZE) {
                b.order(ByteOrder.BIG_ENDIAN);
                if (b.getInt(0) != HEADER_SIZE) {
                    throw new BadRecordException(source + ": not a NIfTI-1 file (sizeof_hdr is neither 348 little- nor"
                            + " big-endian)");
                }
            }
            String magic = new String(bytes, 344, 3, StandardCharsets.US_ASCII);
            if (magic.equals("ni1")) {
                throw new BadRecordException(source + ": a two-file NIfTI header (.hdr/.img) is not supported; use .nii");
            }
            if (!magic.equals("n+1") || bytes[347] != 0) {
                throw new BadRecordException(source + ": bad NIfTI-1 magic (expected \"n+1\"; an Analyze 7.5 file?)");
            }
            short[] dim = new short[8];
            for (int i = 0; i < 8; i++) {
                dim[i] = b.getShort(40 + 2 * i);
            }
            if (dim[0] < 3 || dim[0] > 7) {
                throw new BadRecordException(source + ": " + dim[0] + " dimensions; a 3D volume is needed");
            }
            for (int i = 4; i <= dim[0]; i++) {
                if (dim[i] != 1) {
                    throw new BadRecordException(source + ": dim[" + i + "] = " + dim[i] + "; only 3D volumes"
                            + " (or 4D with one volume) are supported");
                }
            }
            int nx = dim[1];
            int ny = dim[2];
            int nz = dim[3];
            if (nx < 1 || ny < 1 || nz < 1) {
                throw new BadRecordException(source + ": bad dimensions " + nx + "x" + ny + "x" + nz);
            }
            int datatype = b.getShort(70);
            int bytesPer = switch (datatype) {
                case DT_UINT8, DT_INT8 -> 1;
                case DT_INT16, DT_UINT16 -> 2;
                case DT_INT32, DT_FLOAT32 -> 4;
                case DT_FLOAT64 -> 8;
                default -> throw new BadRecordException(source + ": NIfTI datatype " + datatype + " is not supported"
                        + " (uint8, int8, int16, uint16, int32, float32, float64 only)");
            };
            float voxOffset = b.getFloat(108);
            if (!(voxOffset >= HEADER_SIZE) || voxOffset != Math.rint(voxOffset) || voxOffset > Integer.MAX_VALUE) {
                throw new BadRecordException(source + ": bad vox_offset " + voxOffset);
            }
            // dims are shorts: the product cannot overflow a long, but it can overflow an array
            if ((long) nx * ny * nz > Integer.MAX_VALUE - 16) {
                throw new BadRecordException(source + ": " + nx + "x" + ny + "x" + nz + " voxels are too many");
            }
            return new Header(b.order(), nx, ny, nz, datatype, bytesPer, (long) voxOffset, b.getFloat(112),
                    b.getFloat(116));
        }
    }

    /** Parses the (gunzipped) bytes of a {@code .nii}. */
    public static NiftiVolume parse(byte[] bytes, String source) {
        Header h = Header.of(bytes, source);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(h.order());
        float[] pixdim = new float[8];
        for (int i = 0; i < 8; i++) {
            pixdim[i] = b.getFloat(76 + 4 * i);
        }
        int nx = h.nx();
        int ny = h.ny();
        int nz = h.nz();
        int bytesPer = h.bytesPer();
        long count = (long) nx * ny * nz;
        long start = h.voxOffset();
        long need = count * bytesPer;
        if (start + need > bytes.length) {
            throw new BadRecordException(source + ": truncated NIfTI file: " + nx + "x" + ny + "x" + nz + " voxels of "
                    + bytesPer + " bytes need " + need + " bytes from offset " + start + ", "
                    + Math.max(0, bytes.length - start) + " present");
        }
        float slope = h.slope();
        float inter = h.inter();
        int datatype = h.datatype();
        boolean scale = slope != 0 && Float.isFinite(slope) && Float.isFinite(inter);
        float[] data = new float[(int) count];
        int p = (int) start;
        for (int i = 0; i < data.length; i++, p += bytesPer) {
            double v;
            switch (datatype) {
                case DT_UINT8:
                    v = bytes[p] & 0xff;
                    break;
                case DT_INT8:
                    v = bytes[p];
                    break;
                case DT_INT16:
                    v = b.getShort(p);
                    break;
                case DT_UINT16:
                    v = b.getShort(p) & 0xffff;
                    break;
                case DT_INT32:
                    v = b.getInt(p);
                    break;
                case DT_FLOAT32:
                    v = b.getFloat(p);
                    break;
                default:
                    v = b.getDouble(p);
            }
            data[i] = (float) (scale ? v * slope + inter : v);
        }
        return new NiftiVolume(source, nx, ny, nz, pixdim, data, affine(b));
    }

    private static double[] affine(ByteBuffer b) {
        short qformCode = b.getShort(252);
        short sformCode = b.getShort(254);
        if (sformCode > 0) {
            double[] m = new double[12];
            for (int i = 0; i < 12; i++) {
                m[i] = b.getFloat(280 + 4 * i);
            }
            return m;
        }
        if (qformCode > 0) {
            double qb = b.getFloat(256);
            double qc = b.getFloat(260);
            double qd = b.getFloat(264);
            double qa = 1 - (qb * qb + qc * qc + qd * qd);
            qa = qa < 1e-7 ? 0 : Math.sqrt(qa);
            double dx = b.getFloat(80);
            double dy = b.getFloat(84);
            double dz = b.getFloat(88);
            double qfac = b.getFloat(76) < 0 ? -1 : 1;
            dz *= qfac;
            double[] r = {
                qa * qa + qb * qb - qc * qc - qd * qd, 2 * (qb * qc - qa * qd), 2 * (qb * qd + qa * qc),
                2 * (qb * qc + qa * qd), qa * qa + qc * qc - qb * qb - qd * qd, 2 * (qc * qd - qa * qb),
                2 * (qb * qd - qa * qc), 2 * (qc * qd + qa * qb), qa * qa + qd * qd - qc * qc - qb * qb,
            };
            double[] off = {b.getFloat(268), b.getFloat(272), b.getFloat(276)};
            double[] m = new double[12];
            double[] d = {dx, dy, dz};
            for (int row = 0; row < 3; row++) {
                for (int col = 0; col < 3; col++) {
                    m[row * 4 + col] = r[row * 3 + col] * d[col];
                }
                m[row * 4 + 3] = off[row];
            }
            return m;
        }
        return null;
    }

    public float get(int x, int y, int z) {
        return data[(z * ny + y) * nx + x];
    }

    /** The size along an axis (0 = x, 1 = y, 2 = z). */
    public int dim(int axis) {
        return switch (axis) {
            case 0 -> nx;
            case 1 -> ny;
            case 2 -> nz;
            default -> throw new IllegalArgumentException("axis must be 0, 1 or 2, not " + axis);
        };
    }

    public boolean sameGrid(NiftiVolume other) {
        return nx == other.nx && ny == other.ny && nz == other.nz;
    }

    /**
     * This volume resampled (trilinearly, in world coordinates) onto {@code grid}'s voxels, using
     * both volumes' affines; voxels of {@code grid} outside this volume get 0. For a T1 volume whose
     * grid differs from its atlas's (mricron's 0.5 mm {@code ch2better} against the 1 mm AAL).
     */
    public NiftiVolume resampleTo(NiftiVolume grid) {
        if (affine == null || grid.affine == null) {
            throw new BadRecordException(source + " (" + nx + "x" + ny + "x" + nz + ") and " + grid.source
                    + " (" + grid.nx + "x" + grid.ny + "x" + grid.nz + ") have different grids, and "
                    + (affine == null ? source : grid.source) + " has no sform/qform to resample by");
        }
        if (!(Math.abs(determinant(affine)) >= 1e-12)) {
            throw new BadRecordException(source + ": its voxel-to-world affine (sform/qform) is singular or not finite");
        }
        double[] inv = invert(affine);
        double[] a = grid.affine;
        float[] out = new float[grid.data.length];
        int i = 0;
        for (int z = 0; z < grid.nz; z++) {
            for (int y = 0; y < grid.ny; y++) {
                for (int x = 0; x < grid.nx; x++, i++) {
                    double wx = a[0] * x + a[1] * y + a[2] * z + a[3];
                    double wy = a[4] * x + a[5] * y + a[6] * z + a[7];
                    double wz = a[8] * x + a[9] * y + a[10] * z + a[11];
                    double vx = inv[0] * wx + inv[1] * wy + inv[2] * wz + inv[3];
                    double vy = inv[4] * wx + inv[5] * wy + inv[6] * wz + inv[7];
                    double vz = inv[8] * wx + inv[9] * wy + inv[10] * wz + inv[11];
                    out[i] = trilinear(vx, vy, vz);
                }
            }
        }
        return new NiftiVolume(source, grid.nx, grid.ny, grid.nz, grid.pixdim.clone(), out, grid.affine.clone());
    }

    private float trilinear(double x, double y, double z) {
        if (x < -0.5 || y < -0.5 || z < -0.5 || x > nx - 0.5 || y > ny - 0.5 || z > nz - 0.5) {
            return 0f;
        }
        x = Math.min(Math.max(x, 0), nx - 1);
        y = Math.min(Math.max(y, 0), ny - 1);
        z = Math.min(Math.max(z, 0), nz - 1);
        int x0 = Math.min((int) x, nx - 1);
        int y0 = Math.min((int) y, ny - 1);
        int z0 = Math.min((int) z, nz - 1);
        int x1 = Math.min(x0 + 1, nx - 1);
        int y1 = Math.min(y0 + 1, ny - 1);
        int z1 = Math.min(z0 + 1, nz - 1);
        double fx = x - x0;
        double fy = y - y0;
        double fz = z - z0;
        double c00 = get(x0, y0, z0) * (1 - fx) + get(x1, y0, z0) * fx;
        double c10 = get(x0, y1, z0) * (1 - fx) + get(x1, y1, z0) * fx;
        double c01 = get(x0, y0, z1) * (1 - fx) + get(x1, y0, z1) * fx;
        double c11 = get(x0, y1, z1) * (1 - fx) + get(x1, y1, z1) * fx;
        double c0 = c00 * (1 - fy) + c10 * fy;
        double c1 = c01 * (1 - fy) + c11 * fy;
        return (float) (c0 * (1 - fz) + c1 * fz);
    }

    private static double determinant(double[] m) {
        return m[0] * (m[5] * m[10] - m[6] * m[9]) - m[1] * (m[4] * m[10] - m[6] * m[8])
                + m[2] * (m[4] * m[9] - m[5] * m[8]);
    }

    /** Inverse of a 3x4 affine (row-major, implicit last row 0 0 0 1) whose determinant is not 0. */
    private static double[] invert(double[] m) {
        double a = m[0], b = m[1], c = m[2], d = m[4], e = m[5], f = m[6], g = m[8], h = m[9], k = m[10];
        double det = determinant(m);
        double[] r = {
            (e * k - f * h) / det, (c * h - b * k) / det, (b * f - c * e) / det,
            (f * g - d * k) / det, (a * k - c * g) / det, (c * d - a * f) / det,
            (d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det,
        };
        double[] out = new double[12];
        for (int row = 0; row < 3; row++) {
            out[row * 4] = r[row * 3];
            out[row * 4 + 1] = r[row * 3 + 1];
            out[row * 4 + 2] = r[row * 3 + 2];
            out[row * 4 + 3] = -(r[row * 3] * m[3] + r[row * 3 + 1] * m[7] + r[row * 3 + 2] * m[11]);
        }
        return out;
    }
}
