package se.los.example;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import org.erdtman.jcs.JsonCanonicalizer;

/**
 * Signing a LOS event: Ed25519 (the JDK's own, RFC 8032) over the canonical form (RFC 8785)
 * of the whole event except {@code lossignature}, after {@code loskeyid} and
 * {@code lossignedat} are set; the signature in base64url without padding.
 */
public final class Signing {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Signing() {
    }

    /** The canonical UTF-8 bytes of a JSON value (sorted keys, no white space). */
    public static byte[] canonical(Object json) throws IOException {
        return new JsonCanonicalizer(JSON.writeValueAsString(json)).getEncodedUTF8();
    }

    /** A signed copy of {@code event}. */
    public static ObjectNode sign(ObjectNode event, PrivateKey key, String keyId, String signedAt)
            throws IOException, GeneralSecurityException {
        ObjectNode signed = event.deepCopy();
        signed.remove("lossignature");
        signed.put("loskeyid", keyId);
        signed.put("lossignedat", signedAt);
        Signature ed25519 = Signature.getInstance("Ed25519");
        ed25519.initSign(key);
        ed25519.update(canonical(signed));
        signed.put("lossignature", Base64.getUrlEncoder().withoutPadding().encodeToString(ed25519.sign()));
        return signed;
    }

    /**
     * A private key from a file: PKCS#8 PEM (what {@code python -m services.keys} writes) or the
     * 32-byte Ed25519 seed as 64 hexadecimal digits.
     */
    public static PrivateKey readKey(Path file) throws IOException, GeneralSecurityException {
        String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
        if (text.startsWith("-----BEGIN PRIVATE KEY-----")) {
            String body = text.replace("-----BEGIN PRIVATE KEY-----", "").replace("-----END PRIVATE KEY-----", "");
            byte[] der = Base64.getMimeDecoder().decode(body);
            return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der));
        }
        return fromSeed(text);
    }

    /** A private key from its 32-byte seed in hexadecimal. */
    public static PrivateKey fromSeed(String hex) throws GeneralSecurityException {
        byte[] seed;
        try {
            seed = HexFormat.of().parseHex(hex.strip());
        } catch (IllegalArgumentException e) {
            throw new GeneralSecurityException("not a PKCS#8 PEM key nor a 64-digit hexadecimal Ed25519 seed");
        }
        if (seed.length != 32) {
            throw new GeneralSecurityException("an Ed25519 seed has 32 bytes, not " + seed.length);
        }
        return KeyFactory.getInstance("Ed25519")
                         .generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, seed));
    }
}
