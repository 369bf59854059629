package se.los.example;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.OffsetDateTime;
import java.util.Base64;
import java.util.HexFormat;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * This adapter against the project's signing test vectors (schemas/vectors/signing.json, made
 * by the Python code the coordinator verifies with): the same canonical bytes, the same
 * signature, the same event id, the same Kafka record.
 */
class SigningVectorsTest {
    private static JsonNode vectors;

    @BeforeAll
    static void load() throws Exception {
        String path = System.getProperty("los.vectors", "../../schemas/vectors/signing.json");
        vectors = new ObjectMapper().readTree(Files.readString(Path.of(path), StandardCharsets.UTF_8));
    }

    private static String text(JsonNode node, String field) {
        return node.get(field).asText();
    }

    @Test
    void canonicalFormOfEveryCase() throws Exception {
        for (JsonNode c : vectors.get("canonical_form")) {
            byte[] expected = text(c, "canonical").getBytes(StandardCharsets.UTF_8);
            assertArrayEquals(HexFormat.of().parseHex(text(c, "canonical_hex")), expected, text(c, "about"));
            assertArrayEquals(expected, Signing.canonical(c.get("value")), text(c, "about"));
        }
    }

    @Test
    void theSeedAndThePemAreTheSameKey() throws Exception {
        JsonNode key = vectors.get("key");
        Path pem = Files.createTempFile("vector", ".pem");
        Files.writeString(pem, text(key, "private_key_pkcs8_pem"));
        PrivateKey fromPem = Signing.readKey(pem);
        PrivateKey fromSeed = Signing.fromSeed(text(key, "seed_hex"));
        byte[] message = "LOS".getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(sign(fromSeed, message), sign(fromPem, message));
        Files.delete(pem);
    }

    @Test
    void eventIdIsUuid5OfTheRecord() {
        JsonNode id = vectors.get("event_id");
        String name = String.join("\u001f", text(id, "agency"), text(id, "record_kind"), text(id, "record_ref"),
                                  text(id, "version"));
        assertEquals(text(id, "name_utf8_hex"), HexFormat.of().formatHex(name.getBytes(StandardCharsets.UTF_8)));
        assertEquals(UUID.fromString(text(id, "namespace")), Inspection.EVENT_ID_NAMESPACE);
        assertEquals(text(id, "id"), Inspection.uuid5(UUID.fromString(text(id, "namespace")), name).toString());
    }

    @Test
    void theInspectionSignsToTheSameBytes() throws Exception {
        JsonNode vector = vectors.get("inspection");
        Inspection inspection = new Inspection(vector.get("inputs"));
        ObjectNode unsigned = inspection.event(OffsetDateTime.now());
        assertEquals(vector.get("unsigned_event"), unsigned);

        PrivateKey key = Signing.fromSeed(text(vectors.get("key"), "seed_hex"));
        ObjectNode signed = Signing.sign(unsigned, key, text(vector, "key_id"), text(vector, "signed_at"));
        ObjectNode payload = signed.deepCopy();
        payload.remove("lossignature");
        assertArrayEquals(text(vector, "signing_payload").getBytes(StandardCharsets.UTF_8), Signing.canonical(payload));
        assertEquals(text(vector, "signature"), text(signed, "lossignature"));
        assertEquals(vector.get("signed_event"), signed);

        byte[] publicKey = HexFormat.of().parseHex(text(vectors.get("key"), "public_key_hex"));
        byte[] spki = new byte[12 + 32];  // SubjectPublicKeyInfo of Ed25519: a fixed prefix, then the key
        System.arraycopy(HexFormat.of().parseHex("302a300506032b6570032100"), 0, spki, 0, 12);
        System.arraycopy(publicKey, 0, spki, 12, 32);
        PublicKey verifier = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
        Signature check = Signature.getInstance("Ed25519");
        check.initVerify(verifier);
        check.update(Signing.canonical(payload));
        assertEquals(true, check.verify(Base64.getUrlDecoder().decode(text(vector, "signature"))));

        JsonNode record = vectors.get("kafka_record");
        assertEquals(text(record, "topic"), inspection.topic());
        assertEquals(text(record, "key"), inspection.partitionKey());
        assertEquals(text(record.get("headers"), "content-type"), Publisher.CONTENT_TYPE);
        assertArrayEquals(text(record, "value").getBytes(StandardCharsets.UTF_8), Signing.canonical(signed));
    }

    private static byte[] sign(PrivateKey key, byte[] message) throws Exception {
        Signature ed25519 = Signature.getInstance("Ed25519");
        ed25519.initSign(key);
        ed25519.update(message);
        return ed25519.sign();
    }
}
