package io.metalr.cli;

import io.metalr.data.DemoData;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code metalr prepare}: writes the demo's source and the two target data sets (installing their packages if needed). */
@Command(name = "prepare", mixinStandardHelpOptions = true,
        description = "Prepare the demo data as MedMNIST-layout .npz: Fashion-MNIST (source), human brain-MRI patches"
                + " (target) and macaque brain-MRI patches (the study's second target).")
public final class PrepareCommand implements Callable<Integer> {

    @Option(names = "--dir", description = "where the .npz files go (default: ${DEFAULT-VALUE})")
    Path dir = Path.of("data");

    @Override
    public Integer call() throws Exception {
        for (Path p : DemoData.prepare(dir, 0, System.out::println)) {
            System.out.println("ready: " + p);
        }
        return ExitCodes.OK;
    }
}
