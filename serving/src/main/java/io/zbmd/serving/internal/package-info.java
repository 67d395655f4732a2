/** Not API: the HTTP routes, the request codec and the metrics of the serving module. */
package io.zbmd.serving.internal;
