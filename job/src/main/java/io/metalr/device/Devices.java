package io.metalr.device;

import ai.djl.Device;
import ai.djl.engine.Engine;

/**
 * The one place that decides where tensors live. {@code device = auto} takes GPU 0 when the
 * engine sees one (a CUDA build of libtorch on a GPU machine) and the CPU otherwise; {@code cpu}
 * and {@code gpu} / {@code gpu:N} force a choice.
 */
public final class Devices {

    private Devices() {}

    public static Device resolve(String setting) {
        String s = setting.trim().toLowerCase(java.util.Locale.ROOT);
        int gpus = Engine.getInstance().getGpuCount();
        if (s.equals("auto")) {
            return gpus > 0 ? Device.gpu(0) : Device.cpu();
        }
        if (s.equals("cpu")) {
            return Device.cpu();
        }
        if (s.equals("gpu") || s.startsWith("gpu:")) {
            int id = s.equals("gpu") ? 0 : parseId(setting);
            if (id >= gpus) {
                throw new IllegalArgumentException(
                        "device = " + setting + " but the engine sees " + gpus
                                + " GPU(s); is the CUDA flavour of pytorch-native on the classpath?");
            }
            return Device.gpu(id);
        }
        throw new IllegalArgumentException("device must be auto, cpu, gpu or gpu:N; got '" + setting + "'");
    }

    private static int parseId(String setting) {
        try {
            return Integer.parseInt(setting.trim().substring(4));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("device must be auto, cpu, gpu or gpu:N; got '" + setting + "'", e);
        }
    }
}
