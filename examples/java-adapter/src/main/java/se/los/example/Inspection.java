package se.los.example;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.UUID;

/**
 * An inspection record of the agency's own system, and the LOS event
 * {@code se.los.inspection.conducted.v1} made of it (docs/adapters.md, "Signing, byte by byte").
 *
 * <p>The record is a JSON object: {@code agency}, {@code record_kind}, {@code record_ref},
 * {@code record_version}, {@code operation_id} (optional), {@code time} (optional: now),
 * {@code conducted_at}, {@code municipality}, {@code premises} and one {@code finding} in the
 * agency's own information category. No persons: a person travels as a pseudonym from the
 * platform's pseudonym service, which this example does not call.
 */
public final class Inspection {
    public static final String TYPE = "se.los.inspection.conducted.v1";
    public static final String DATASCHEMA = "urn:los:schema:inspection.conducted:v1";
    /** The namespace of every LOS event id ({@code schemas.envelope.EVENT_ID_NAMESPACE}). */
    public static final UUID EVENT_ID_NAMESPACE = UUID.fromString("6f1f3c3e-2b7a-5d5e-9a51-4c4f53000001");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final JsonNode record;

    public Inspection(JsonNode record) {
        for (String field : new String[] {"agency", "record_kind", "record_ref", "conducted_at", "municipality",
                                          "premises", "finding"}) {
            if (!record.hasNonNull(field)) {
                throw new IllegalArgumentException("the inspection record has no '" + field + "'");
            }
        }
        this.record = record;
    }

    public static Inspection read(Path file) throws IOException {
        return new Inspection(JSON.readTree(file.toFile()));
    }

    public String agency() {
        return record.get("agency").asText();
    }

    public String operationId() {
        JsonNode op = record.get("operation_id");
        return op == null || op.isNull() || op.asText().isEmpty() ? null : op.asText();
    }

    /** The deterministic event id: the same record exported again gets the same id. */
    public UUID eventId() {
        String version = record.hasNonNull("record_version") ? record.get("record_version").asText() : "1";
        return uuid5(EVENT_ID_NAMESPACE,
                     String.join("\u001f", agency(), record.get("record_kind").asText(),
                                 record.get("record_ref").asText(), version));
    }

    /** The unsigned event: only the fields that carry a value. */
    public ObjectNode event(OffsetDateTime now) {
        ObjectNode data = JSON.createObjectNode();
        data.put("inspection_ref", record.get("record_ref").asText());
        if (operationId() != null) {
            data.put("operation_id", operationId());
        }
        data.set("conducted_at", record.get("conducted_at"));
        data.set("municipality", record.get("municipality"));
        data.set("premises", record.get("premises"));
        data.putArray("findings").add(record.get("finding"));

        ObjectNode event = JSON.createObjectNode();
        event.put("specversion", "1.0");
        event.put("id", eventId().toString());
        event.put("source", "urn:los:agency:" + agency());
        event.put("type", TYPE);
        event.put("time", record.hasNonNull("time") ? record.get("time").asText() : timestamp(now));
        event.put("dataschema", DATASCHEMA);
        event.put("datacontenttype", "application/json");
        event.put("losagency", agency());
        event.set("data", data);
        return event;
    }

    /** Where the event goes: the agency's own events topic. */
    public String topic() {
        return "los.events." + agency().toLowerCase(Locale.ROOT);
    }

    /** The record key: {@code op:<operation id>}, else {@code ev:<event id>} (no business here). */
    public String partitionKey() {
        return operationId() != null ? "op:" + operationId() : "ev:" + eventId();
    }

    /** RFC 3339 in UTC, whole seconds: {@code 2026-03-14T12:05:00Z}. */
    public static String timestamp(OffsetDateTime at) {
        return at.withOffsetSameInstant(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS)
                 .format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
    }

    /** A name-based UUID, version 5 (SHA-1), RFC 4122 section 4.3. */
    static UUID uuid5(UUID namespace, String name) {
        MessageDigest sha1;
        try {
            sha1 = MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        sha1.update(ByteBuffer.allocate(16).putLong(namespace.getMostSignificantBits())
                              .putLong(namespace.getLeastSignificantBits()).array());
        byte[] hash = sha1.digest(name.getBytes(StandardCharsets.UTF_8));
        hash[6] = (byte) ((hash[6] & 0x0f) | 0x50);
        hash[8] = (byte) ((hash[8] & 0x3f) | 0x80);
        ByteBuffer bytes = ByteBuffer.wrap(hash, 0, 16);
        return new UUID(bytes.getLong(), bytes.getLong());
    }
}
