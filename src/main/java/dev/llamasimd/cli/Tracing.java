package dev.llamasimd.cli;

import dev.llamasimd.generate.LlamaModel;
import dev.llamasimd.generate.Session;
import dev.llamasimd.model.Config;
import dev.llamasimd.model.ModelParts;
import java.io.PrintWriter;

/** {@code --trace}: one line per step, as the KV-cache explainer prints them. */
final class Tracing {
    private Tracing() {}

    static Session.StepListener printer(LlamaModel model, PrintWriter err) {
        Config c = ModelParts.config(model);
        return (step, input, cached, chosen) -> {
            err.printf("[step %d] input shape [1, %d] | K/V cache per layer [%d, %d, %d] x %d layers | chose %d %s%n",
                    step, input, c.kvHeads(), cached, c.headDim(), c.layers(), chosen,
                    Quoting.quote(ModelParts.tokenizer(model).piece(chosen)));
            err.flush();
        };
    }
}
