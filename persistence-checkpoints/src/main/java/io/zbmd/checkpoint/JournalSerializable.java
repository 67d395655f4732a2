package io.zbmd.checkpoint;

/**
 * Marker for everything the training journal writes: its events ({@link RunEvent}) and its
 * snapshots ({@link RunState}). This module's {@code reference.conf} binds it to Pekko's {@code
 * jackson-cbor} serializer, so journal rows hold compact CBOR and never Java serialization.
 *
 * <pre>{@code
 * Serializer s = SerializationExtension.get(system).findSerializerFor(event);
 * // s is org.apache.pekko.serialization.jackson.JacksonCborSerializer
 * }</pre>
 */
public interface JournalSerializable {}
