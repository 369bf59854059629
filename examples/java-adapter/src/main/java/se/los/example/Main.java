package se.los.example;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;

/** {@code java -jar los-java-adapter.jar --record FILE ...}: sign one inspection and publish it. */
public final class Main {
    static final String USAGE = String.join("\n",
        "usage: java -jar los-java-adapter.jar --record FILE [options]",
        "",
        "Builds the LOS event of one inspection record (JSON), signs it with the agency's Ed25519",
        "adapter key and produces it to los.events.<agency> as the Kafka principal adapter-<agency>.",
        "",
        "  --record FILE       the inspection record (see README.md)",
        "  --key-file FILE     the adapter's private key: PKCS#8 PEM or a 64-digit hex seed [LOS_ADAPTER_KEY_FILE]",
        "  --key-seed HEX      the key's 32-byte seed in hex, instead of a file [LOS_ADAPTER_KEY_SEED]",
        "  --key-id ID         its id in the key registry [LOS_ADAPTER_KEY_ID; default: the PEM file's name]",
        "  --bootstrap SERVERS Kafka brokers, host:port,... [LOS_KAFKA_BOOTSTRAP_SERVERS]",
        "  --username NAME     Kafka principal [LOS_KAFKA_USERNAME; default: adapter-<agency>]",
        "                      its password: LOS_KAFKA_PASSWORD (environment only)",
        "  --security-protocol SASL_SSL, or SASL_PLAINTEXT for a broker without TLS [LOS_KAFKA_SECURITY_PROTOCOL;",
        "                      default SASL_SSL]",
        "  --ca-file FILE      the CA certificate (PEM) the brokers' certificates are checked against",
        "                      [LOS_KAFKA_CA_FILE; default: the JVM's trusted CAs]",
        "  --dry-run           print the signed event and its record; produce nothing",
        "  --help              this text",
        "",
        "Exit status: 0 published, 1 Kafka refused or could not be reached, 2 wrong input or settings.");

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.getenv()));
    }

    static int run(String[] args, Map<String, String> env) {
        Map<String, String> options = new HashMap<>();
        boolean dryRun = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--help") || arg.equals("-h")) {
                System.out.println(USAGE);
                return 0;
            } else if (arg.equals("--dry-run")) {
                dryRun = true;
            } else if (arg.startsWith("--") && i + 1 < args.length) {
                options.put(arg.substring(2), args[++i]);
            } else {
                return usage("unknown or incomplete option " + arg);
            }
        }
        String recordFile = options.get("record");
        if (recordFile == null) {
            return usage("--record is required");
        }
        Inspection inspection;
        PrivateKey key;
        String keyId;
        try {
            inspection = Inspection.read(Path.of(recordFile));
            String keyFile = setting(options, env, "key-file", "LOS_ADAPTER_KEY_FILE", null);
            String seed = setting(options, env, "key-seed", "LOS_ADAPTER_KEY_SEED", null);
            if (keyFile == null && seed == null) {
                return usage("give the adapter key: --key-file FILE or --key-seed HEX (or LOS_ADAPTER_KEY_FILE)");
            }
            key = keyFile != null ? Signing.readKey(Path.of(keyFile)) : Signing.fromSeed(seed);
            String fromName = keyFile != null && keyFile.endsWith(".pem")
                    ? Path.of(keyFile).getFileName().toString().replaceFirst("\\.pem$", "") : null;
            keyId = setting(options, env, "key-id", "LOS_ADAPTER_KEY_ID", fromName);
            if (keyId == null) {
                return usage("give the key's registered id: --key-id ID (or LOS_ADAPTER_KEY_ID)");
            }
        } catch (Exception e) {
            return usage(e.getMessage());
        }

        ObjectNode signed;
        byte[] value;
        try {
            OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
            signed = Signing.sign(inspection.event(now), key, keyId, Inspection.timestamp(now));
            value = Signing.canonical(signed);
        } catch (Exception e) {
            System.err.println("error: cannot sign the event: " + e.getMessage());
            return 2;
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode report = json.createObjectNode();
        report.put("id", inspection.eventId().toString());
        report.put("topic", inspection.topic());
        report.put("key", inspection.partitionKey());
        if (dryRun) {
            report.set("event", signed);
            System.out.println(report.toPrettyString());
            return 0;
        }

        String bootstrap = setting(options, env, "bootstrap", "LOS_KAFKA_BOOTSTRAP_SERVERS", null);
        String username = setting(options, env, "username", "LOS_KAFKA_USERNAME",
                                  "adapter-" + inspection.agency().toLowerCase(Locale.ROOT).replace('_', '-'));
        String password = env.get("LOS_KAFKA_PASSWORD");
        String protocol = setting(options, env, "security-protocol", "LOS_KAFKA_SECURITY_PROTOCOL", "SASL_SSL");
        String caFile = setting(options, env, "ca-file", "LOS_KAFKA_CA_FILE", null);
        if (!protocol.equals("SASL_SSL") && !protocol.equals("SASL_PLAINTEXT")) {
            return usage("--security-protocol is SASL_SSL or SASL_PLAINTEXT, not " + protocol);
        }
        if (bootstrap == null || password == null || password.isEmpty()) {
            return usage("set LOS_KAFKA_BOOTSTRAP_SERVERS (or --bootstrap) and LOS_KAFKA_PASSWORD, the password of "
                         + username);
        }
        try (Publisher publisher = new Publisher(bootstrap, protocol, caFile, username, password,
                                                 "los-adapter-" + inspection.agency().toLowerCase(Locale.ROOT))) {
            RecordMetadata sent = publisher.send(inspection.topic(), inspection.partitionKey(), value);
            report.put("partition", sent.partition());
            report.put("offset", sent.offset());
            System.out.println(report);
            return 0;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof SslAuthenticationException) {
                System.err.println("error: no TLS connection to the brokers: is their certificate issued by the CA "
                                   + "in LOS_KAFKA_CA_FILE? (" + cause.getMessage() + ")");
            } else if (cause instanceof SaslAuthenticationException) {
                System.err.println("error: Kafka refused the login of " + username + ": check LOS_KAFKA_USERNAME and "
                                   + "LOS_KAFKA_PASSWORD (" + cause.getMessage() + ")");
            } else if (cause instanceof AuthorizationException) {
                System.err.println("error: " + username + " may not write " + inspection.topic() + ": an adapter writes"
                                   + " its own agency's topic only (" + cause.getMessage() + ")");
            } else {
                System.err.println("error: publishing failed: " + cause);
            }
            return 1;
        } catch (Exception e) {
            System.err.println("error: publishing failed: " + e);
            return 1;
        }
    }

    private static String setting(Map<String, String> options, Map<String, String> env, String option,
                                  String variable, String fallback) {
        String value = options.get(option);
        if (value == null || value.isEmpty()) {
            value = env.get(variable);
        }
        return value == null || value.isEmpty() ? fallback : value;
    }

    private static int usage(String problem) {
        System.err.println("error: " + problem);
        System.err.println("(java -jar los-java-adapter.jar --help tells every option)");
        return 2;
    }
}
