package io.metalr.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.metalr.model.io.TensorData;
import io.metalr.model.io.TorchWeightsReader;
import io.metalr.nn.Network;
import io.metalr.nn.ParamSpec;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Weight files by name: PyTorch state dicts and TorchScript archives (.pt, .pth), DJL's NDList
 * format (.ndlist, what this job writes), NumPy .npz and .safetensors. Reading never runs code
 * from the file.
 */
public final class WeightFiles {

    private WeightFiles() {}

    /** Every tensor of the file by name, in file order. */
    public static LinkedHashMap<String, TensorData> read(InputStream in, String source) throws IOException {
        String lower = source.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".ndlist") || lower.endsWith(".npz") || lower.endsWith(".safetensors")) {
            return readNdList(in, source);
        }
        if (lower.endsWith(".pt") || lower.endsWith(".pth") || lower.endsWith(".bin") || lower.endsWith(".torchscript")) {
            return TorchWeightsReader.read(in, source);
        }
        throw new IOException(
                source + ": unknown weights format; use .pt/.pth (PyTorch state dict or TorchScript), "
                        + ".ndlist (DJL), .npz or .safetensors");
    }

    private static LinkedHashMap<String, TensorData> readNdList(InputStream in, String source) throws IOException {
        LinkedHashMap<String, TensorData> out = new LinkedHashMap<>();
        try (NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu())) {
            NDList list;
            try {
                list = NDList.decode(m, new BufferedInputStream(in));
            } catch (RuntimeException e) {
                throw new IOException(source + ": not a readable NDList/npz/safetensors file: " + e.getMessage(), e);
            }
            for (NDArray a : list) {
                String name = a.getName();
                if (name == null || name.isEmpty()) {
                    throw new IOException(source + ": holds an unnamed tensor; weights must be named");
                }
                long[] shape = a.getShape().getShape();
                DataType t = a.getDataType();
                if (t.isFloating()) {
                    out.put(name, new TensorData(name, shape, t.name().toLowerCase(Locale.ROOT), a.toType(DataType.FLOAT32, false).toFloatArray(), null));
                } else {
                    out.put(name, new TensorData(name, shape, t.name().toLowerCase(Locale.ROOT), null, a.toType(DataType.INT64, false).toLongArray()));
                }
            }
        }
        return out;
    }

    /** Writes named float32 tensors in DJL's NDList format (or .npz when the name says so). */
    public static void write(OutputStream out, Network net, Map<String, float[]> values, String target) throws IOException {
        NDList.Encoding encoding = target.toLowerCase(Locale.ROOT).endsWith(".npz") ? NDList.Encoding.NPZ : NDList.Encoding.ND_LIST;
        try (NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu())) {
            NDList list = new NDList();
            for (ParamSpec spec : net.params()) {
                float[] v = values.get(spec.name());
                if (v == null) {
                    throw new IllegalArgumentException("no value for tensor " + spec.name() + " to write to " + target);
                }
                NDArray a = m.create(FloatBuffer.wrap(v), spec.shape());
                a.setName(spec.name());
                list.add(a);
            }
            list.encode(out, encoding);
        }
    }

    /** Shapes as DJL shapes, for messages. */
    static Shape shapeOf(TensorData t) {
        return new Shape(t.shape());
    }
}
