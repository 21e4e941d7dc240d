/**
 * llama-simd: Llama-family language models in pure Java on the Vector API. The one exported
 * package, {@code dev.llamasimd.generate}, is the API for services: load a {@code LlamaModel},
 * then generate through a {@code Session} (one conversation) or a {@code Scheduler} (many users
 * batched together). Everything else (kernels, file readers, the tokenizers, the command line and
 * the server) is internal to the module.
 */
module dev.llamasimd {
    requires jdk.incubator.vector;
    requires it.unimi.dsi.fastutil;
    requires com.fasterxml.jackson.databind;
    // The SIMD self-check reads VM options and times threads; the server is the JDK's HTTP server.
    requires java.management;
    requires jdk.management;
    requires jdk.httpserver;
    // chat ends a line cleanly on Ctrl-C at its prompt (sun.misc.Signal); the command line sets the
    // load logger's level (java.util.logging).
    requires jdk.unsupported;
    requires java.logging;
    // Only the command line uses picocli, and the library artifact declares it optional.
    requires static info.picocli;

    exports dev.llamasimd.generate;

    opens dev.llamasimd.cli to info.picocli;
}
