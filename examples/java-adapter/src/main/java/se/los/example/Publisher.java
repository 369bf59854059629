package se.los.example;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Produces signed events to the agency's events topic as its principal {@code adapter-<agency>}, over TLS
 * ({@code SASL_SSL}) to brokers whose certificates {@code caFile} (PEM) issued, or the JVM's trusted CAs when
 * it is null; the brokers' host names are checked.
 */
public final class Publisher implements AutoCloseable {
    /** CloudEvents structured content mode: the record value is the whole event. */
    public static final String CONTENT_TYPE = "application/cloudevents+json; charset=utf-8";

    private final KafkaProducer<byte[], byte[]> producer;

    public Publisher(String bootstrap, String securityProtocol, String caFile, String username, String password,
                     String clientId) {
        Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "30000");
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "120000");
        config.put("security.protocol", securityProtocol);
        config.put("sasl.mechanism", "SCRAM-SHA-512");
        config.put("ssl.endpoint.identification.algorithm", "https");
        if (caFile != null) {
            config.put("ssl.truststore.type", "PEM");
            config.put("ssl.truststore.location", caFile);
        }
        config.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                + jaasQuote(username) + "\" password=\"" + jaasQuote(password) + "\";");
        this.producer = new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Sends one record and waits until every in-sync replica has it. */
    public RecordMetadata send(String topic, String key, byte[] value) throws Exception {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, null, key.getBytes(StandardCharsets.UTF_8),
                value, List.of(new RecordHeader("content-type", CONTENT_TYPE.getBytes(StandardCharsets.UTF_8))));
        return producer.send(record).get();
    }

    @Override
    public void close() {
        producer.close();
    }

    private static String jaasQuote(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
