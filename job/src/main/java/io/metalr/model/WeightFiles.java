package io.metalr.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.metalr.model.io.NdListReader;
import io.metalr.model.io.NpzWeightsReader;
import io.metalr.model.io.SafetensorsReader;
import io.metalr.model.io.TensorData;
import io.metalr.model.io.TorchWeightsReader;
import io.metalr.nn.Network;
import io.metalr.nn.ParamSpec;

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
 * from the file, and never allocates more than a small multiple of the file's size: every
 * length a file declares is checked against its bytes first (DJL's own decoder does not).
 */
public final class WeightFiles {

    private WeightFiles() {}

    /**
     * Every tensor of the file by name, in file order. This is how {@code model.pretrained} and a
     * model bundle's weights are read, whatever the format.
     *
     * @throws BadModelException the content is not a usable weights file of its kind; it names
     *         the file, and the tensor where there is one
     * @throws IOException the stream itself failed
     */
    public static LinkedHashMap<String, TensorData> read(InputStream in, String source) throws IOException {
        String lower = source.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".pt") || lower.endsWith(".pth") || lower.endsWith(".bin") || lower.endsWith(".torchscript")) {
            return TorchWeightsReader.read(in, source);
        }
        if (lower.endsWith(".ndlist") || lower.endsWith(".npz") || lower.endsWith(".safetensors")) {
            return readDjlFormat(in.readAllBytes(), source);
        }
        throw new BadModelException(
                source + ": unknown weights format; use .pt/.pth (PyTorch state dict or TorchScript), "
                        + ".ndlist (DJL), .npz or .safetensors");
    }

    /**
     * Told apart by content, as DJL's NDList.decode does, so a file named for one of the three
     * that holds another still reads.
     */
    private static LinkedHashMap<String, TensorData> readDjlFormat(byte[] bytes, String source) throws BadModelException {
        if (bytes.length >= 2 && bytes[0] == 'P' && bytes[1] == 'K') {
            return NpzWeightsReader.read(bytes, source);
        }
        if (bytes.length >= 4 && bytes[0] == (byte) 0x93 && bytes[1] == 'N' && bytes[2] == 'U' && bytes[3] == 'M') {
            throw new BadModelException(source + ": is a single unnamed .npy array; weights must be named (use .npz)");
        }
        if (bytes.length > 8 && bytes[8] == '{') {
            return SafetensorsReader.read(bytes, source);
        }
        return NdListReader.read(bytes, source);
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
