import java.lang.reflect.Field;
import java.lang.reflect.Method;

/**
 * Runs DynamoDB Local with its HTTP connector bound to 127.0.0.1. DynamoDB
 * Local builds its Jetty server with a port only, which binds every interface,
 * and offers no option to change it; this creates the server as its own main
 * does, sets the host of each connector before it starts, and starts it.
 */
public final class LoopbackDynamoDBLocal {
    public static void main(String[] args) throws Exception {
        Class<?> runner = Class.forName("software.amazon.dynamodb.services.local.main.ServerRunner");
        Object server = runner.getMethod("createServerFromCommandLineArgs", String[].class).invoke(null, (Object) args);
        int bound = 0;
        for (Field f : server.getClass().getDeclaredFields()) {
            if (!f.getType().getName().equals("org.eclipse.jetty.server.Server")) {
                continue;
            }
            f.setAccessible(true);
            Object jetty = f.get(server);
            for (Object connector : (Object[]) jetty.getClass().getMethod("getConnectors").invoke(jetty)) {
                Method setHost = connector.getClass().getMethod("setHost", String.class);
                setHost.invoke(connector, "127.0.0.1");
                bound++;
            }
        }
        if (bound == 0) {
            throw new IllegalStateException("no Jetty connector found to bind to 127.0.0.1");
        }
        server.getClass().getMethod("start").invoke(server);
        server.getClass().getMethod("join").invoke(server);
    }
}
